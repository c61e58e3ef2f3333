"""Triage: scoring and routing rules (pure functions over versioned TOML), queues and the staff app."""
