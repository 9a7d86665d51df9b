"""What both services share: settings helpers, the model source, health and metrics plumbing."""
