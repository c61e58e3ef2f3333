"""tipline: the composition root (settings, app factories, CLI)."""
