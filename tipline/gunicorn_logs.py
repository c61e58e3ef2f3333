"""gunicorn's own lines through the line's logging (``tipline serve`` and ``tipline console``).

gunicorn writes its error log ("Booting worker", "Listening at", a worker timeout, "Handling signal")
through a handler and format of its own: with ``TIPLINE_LOG_FORMAT=json`` a log shipper would see
two formats on one stream, and those lines would skip the redacting filter.  ``LineLogger`` drops
gunicorn's handler and lets its records reach the root handler that ``tipline.logs.configure_logging``
set up before the fork, at the level ``TIPLINE_LOG_LEVEL`` chose.  The access log stays off.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn import glogging


class LineLogger(glogging.Logger):  # type: ignore[misc]  # gunicorn has no type hints
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True  # to the root: one handler, one format, the redacting filter
        self.error_log.setLevel(logging.NOTSET)  # the root's level (TIPLINE_LOG_LEVEL) decides
