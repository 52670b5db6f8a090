"""Shared domain blocklists: formats, subscriptions, consensus and review."""
