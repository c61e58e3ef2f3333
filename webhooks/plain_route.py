"""One webhook path answered as plain WSGI in front of the Flask app, and the parts of a request it reads.

Every SMS is a POST to /webhooks/twilio/sms, and the tip line is bound by CPU under load: Flask's
request context, routing, signals and request object cost about 115 us of a worker's CPU per
webhook under gunicorn (measured against the same handler as a bare WSGI callable), a tenth of a
whole message's.  That one path is therefore served by :class:`PlainRoute`, which reads the
request with werkzeug's own functions (the content length and input stream the Flask request
would use) and answers with the view's werkzeug response; every other request, and every
exception, still goes through Flask as before.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable, Iterable

from flask import Flask, Response
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_input_stream

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

View = Callable[["WSGIEnvironment"], Response]


class TooLarge(Exception):
    """The body is longer than the caller's limit."""


def mimetype(environ: WSGIEnvironment) -> str:
    """The Content-Type without its parameters, lower case (werkzeug's ``Request.mimetype``)."""
    return _mimetype(environ.get("CONTENT_TYPE", ""))


@functools.lru_cache(maxsize=64)
def _mimetype(content_type: str) -> str:
    # Providers send the same one or two Content-Type values: parse each once.
    return parse_options_header(content_type)[0].lower()


def body(environ: WSGIEnvironment, limit: int) -> bytes:
    """The whole body, read as Flask's ``get_data`` reads it, bounded by its Content-Length or, for a
    body the server ends (chunked), by ``limit``; :class:`TooLarge` past ``limit``.

    One byte more than ``limit`` is read, so that a chunked body over the limit is refused as too
    large instead of cut at the limit (werkzeug's bound stops there silently, and the cut body would
    fail its signature with a misleading warning).
    """
    try:
        data = get_input_stream(environ, max_content_length=limit + 1).read()
    except RequestEntityTooLarge:
        raise TooLarge from None
    if len(data) > limit:
        raise TooLarge
    return data


class PlainRoute:
    """``POST path`` answered by ``view(environ)`` without Flask's request machinery; any other request
    goes on to ``app``'s own WSGI app.  An exception in the view is handled by Flask exactly as if the
    view were a Flask route (logged, 500; raised under test)."""

    def __init__(self, app: Flask, path: str, view: View) -> None:
        self.app, self.path, self.view = app, path, view
        self.next: WSGIApplication = app.wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != self.path:
            return self.next(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            response = Response("method not allowed", status=405, mimetype="text/plain", headers={"Allow": "POST"})
        else:
            try:
                response = self.view(environ)
            except Exception as exc:  # handed to Flask, which logs it (or raises it under test)
                with self.app.request_context(environ):
                    response = self.app.handle_exception(exc)
        return response(environ, start_response)


def mount(app: Flask, path: str, view: View) -> None:
    """Serve ``POST path`` with ``view`` in front of ``app``: the test client and gunicorn both see it."""
    app.wsgi_app = PlainRoute(app, path, view)  # type: ignore[method-assign]
