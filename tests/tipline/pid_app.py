"""A WSGI app for the worker-class tests: answers its process id, after ``?hold=<seconds>``."""

from __future__ import annotations

import os
import time
from typing import Callable, Iterable
from urllib.parse import parse_qs


def app(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    hold = parse_qs(str(environ.get("QUERY_STRING", ""))).get("hold", ["0"])[0]
    time.sleep(float(hold))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
