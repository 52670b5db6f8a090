"""Crisis-aware handling: the detector, resources and alerts for support groups."""
