"""The second factor: TOTP codes (pyotp) and the enrolment QR code (qrcode, as inline SVG).

Nothing here reaches the network: the QR code is drawn on the server from the otpauth URI.
"""

from __future__ import annotations

import hmac

import pyotp
import qrcode
from qrcode.image.svg import SvgPathImage

ISSUER = "tipline staff console"
# One step either side (30 s) forgives a phone clock that drifts a little, no more.
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def matching_step(secret: str, code: str, *, now: float) -> int | None:
    """The time step ``code`` belongs to (within the drift allowed), or None when it is wrong."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return totp.timecode(now) + offset
    return None


def code_at(secret: str, now: float) -> str:
    """What an authenticator shows at ``now`` (tests and the browser test type it)."""
    return pyotp.TOTP(secret).at(now)


TRAINING_ISSUER = "tipline TRAINING sandbox"  # its own authenticator entry, never mixed up with live


def provisioning_uri(secret: str, username: str, *, training: bool = False) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TRAINING_ISSUER if training else ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an SVG QR code (labelled for screen readers), to be inlined in the enrolment page."""
    image = qrcode.make(uri, image_factory=SvgPathImage, box_size=8, border=2)
    text = bytes(image.to_string()).decode("utf-8")
    # Drop the XML declaration (not allowed inside HTML); name the picture for screen readers.
    label = '<svg role="img" aria-label="QR code for your authenticator app" '
    return text[text.index("<svg"):].replace("<svg ", label, 1)
