"""Message ids the engine uses outside the flow file, so start-up can check every catalog has them."""

from __future__ import annotations

from bot import signs
from bot.commands import COMMAND_MSGIDS

FIRST = "reply.first"
LANG_OFFER = "reply.lang_offer"
LANG_MENU = "reply.lang_menu"
LANG_ONE = "reply.lang_one"
LANG_NOT_OFFERED = "reply.lang_not_offered"  # in English: the line does not speak theirs yet
LANG_NAME = "lang.name"  # each catalog names its own language, in that language
HELP = "cmd.help"
HINT_NUMBER = "reply.hint.number"
HINT_CHECKLIST = "reply.hint.checklist"
HINT_BUTTONS = "reply.hint.buttons"  # Telegram: Done pressed with nothing ticked
HINT_AMBIGUOUS = "reply.hint.ambiguous"
HINT_NONE_WITH_OTHERS = "reply.hint.none_with_others"
HINT_TEXT = "reply.hint.text"
HINT_COMMANDS = "reply.hint.commands"
USE_NUMBERS = "reply.use_numbers"
TOO_LONG = "reply.too_long"
MEDIA = "reply.media"
SHARED = "reply.shared"
SHARED_PLACE = "reply.shared.place"
EXIT = "reply.exit"
EXIT_SMS = "reply.exit.sms"
EXIT_TELEGRAM = "reply.exit.telegram"
DONE_EMPTY = "reply.done_empty"
FINISHED = "reply.finished"
ADDENDUM = "reply.addendum"
UNSAFE = "reply.unsafe"
ERROR = "reply.error"
EMERGENCY = "q.A3"  # the emergency interrupt repeats the A3 notice
PARTNERS_DEFAULT = "partner.default"
BTN_DONE = "btn.done"
ABOUT = "reply.about"
HINT_KEPT = "reply.hint.kept"
HINT_SKIP = "reply.hint.skip"
KEPT_LONG = "reply.kept_long"
CUT_LONG = "reply.cut_long"

# Partner kinds a deployment may name in the notice (Settings.partners).
PARTNER_KINDS = ("police", "ngo", "child_protection", "labour")

SYSTEM = (
    FIRST, LANG_OFFER, LANG_MENU, LANG_ONE, LANG_NOT_OFFERED, LANG_NAME, HELP, HINT_NUMBER, HINT_CHECKLIST,
    HINT_BUTTONS, HINT_AMBIGUOUS, HINT_NONE_WITH_OTHERS, HINT_TEXT, HINT_COMMANDS, USE_NUMBERS, TOO_LONG,
    MEDIA, SHARED, SHARED_PLACE, EXIT, EXIT_SMS, EXIT_TELEGRAM, DONE_EMPTY, FINISHED, ADDENDUM, UNSAFE, ERROR,
    EMERGENCY, PARTNERS_DEFAULT, BTN_DONE, ABOUT, HINT_KEPT, HINT_SKIP, KEPT_LONG, CUT_LONG,
    *COMMAND_MSGIDS.values(), *signs.MSGIDS,
    *(f"partner.{kind}" for kind in PARTNER_KINDS),
)
