"""The one registry of what the server secret's subkeys are for.

Every subkey, box and MAC derived from the server secret names one of these, so no
two uses share a key and the theft tests can iterate every purpose instead of a
hand-kept list.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    CONVERSATION_STATE = "conversation-state"  # interview state while it runs (hour epochs, storage.epochs)
    FOLLOWUP_STATE = "followup-state"  # what a finished interview keeps for the follow-up window (day epochs)
    ADDRESS = "address"  # reporters' addresses sealed for replies (day epochs; replaces period keys)
    INBOUND_REPLIES = "inbound-replies"  # root of the per-provider-id reply keys
    OUTBOX = "outbox"  # outbox bodies and the Telegram chat log
    TIP_LINK = "tip-link"  # root of the address-derived link to a finished interview's tip
    LOOKUP = "lookup"  # the conversation lookup HMAC of channel:address
    INBOUND = "inbound"  # the keyed hash of provider message ids
    STAFF_QUESTIONS = "staff-questions"  # questions staff leave for a reporter's follow-up
    PROVIDER_COPIES = "provider-copies"  # Twilio SIDs whose log copies are still to delete
    PERIOD_WRAP = "period-wrap"  # wraps the per-period address keys
    STAFF_PEPPER = "staff-pepper"  # mixed into staff passphrase derivations
    REFCODE_PEPPER = "refcode-pepper"  # mixed into reference-code hashes
    REFCODE_SALT = "refcode-salt"
    AUDIT = "audit"  # the audit log's HMAC chain
    THROTTLE = "throttle"  # keyed sender ids for the wrong-code throttle
    SECRET_CHECK = "secret-check"  # the database's fingerprint of the server secret
    STAFF_TOTP = "staff-totp"  # staff second-factor secrets (console)
    STAFF_LOGIN = "staff-login"  # keyed usernames and clients for the console's login throttle
    RATE = "rate"  # keyed sender ids for the abuse limits (hour epochs, triage.limits)
    TIP_METADATA = "tip-metadata"  # the MAC over each tip's plaintext metadata (storage.tip_mac)
    SPOOL = "spool"  # inbound messages kept on disk while the database is away (hour epochs, storage.spool)
