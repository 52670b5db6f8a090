"""The instance's (and each group's) ordered chain of moderation policies."""
