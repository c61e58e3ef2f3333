"""Storage: tables, transactions, migrations, encryption and keys.

Imports nothing from ``bot``, ``webhooks``, ``triage`` or ``tipline``.
"""
