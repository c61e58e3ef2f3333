"""Runs the public app under gunicorn, with the jobs thread in each worker process.

Stopping (SIGTERM to the master, as systemd and docker do): each worker finishes its requests
within ``GRACEFUL`` seconds, then its jobs thread stops (``worker_exit``): sends in flight
finish and leased outbox items go back to pending at once.  A webhook longer than Twilio's
15 s wait is lost to the provider anyway, and a send is bounded by the clients' 10 s timeouts.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from gunicorn.app.base import BaseApplication
from gunicorn.errors import AppImportError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage.db_errors import operator_line

from tipline.gunicorn_logs import LineLogger
from tipline.gunicorn_worker import WORKER_CLASS
from tipline.settings import Settings

if TYPE_CHECKING:
    from bot import Engine as ConversationEngine

GRACEFUL = 20  # seconds a stopping worker has for its requests and its sends in flight


@contextmanager
def refusals_in_one_line() -> Iterator[None]:
    """A gunicorn worker that PostgreSQL refuses at boot (its pool is one too many for
    max_connections) stops with the operator's line: gunicorn prints an ``AppImportError``'s text
    alone, without a traceback, and halts; systemd's ``Restart=on-failure`` tries again."""
    try:
        yield
    except (DBAPIError, PoolTimeout) as exc:
        line = operator_line(exc)
        if line is None:
            raise
        raise AppImportError(line) from None


class _PublicServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any], jobs: bool,
                 engine: ConversationEngine | None = None) -> None:
        self.settings = settings
        self.options = options
        self.jobs = jobs
        self.engine = engine  # built (and its files checked) before the fork: workers inherit it
        self._jobs: Any = None  # this worker's Jobs (set after the fork, in ``load``)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", self._worker_exit)

    def _worker_exit(self, server: Any, worker: Any) -> None:
        if self._jobs is not None:  # in the worker process: give back what its sender holds
            self._jobs.stop()

    def load(self) -> Any:
        # Built in each worker after the fork: python-telegram-bot's loop and the
        # database pool must not be shared across processes (CHANNELS.md pitfall 14).
        from tipline.app import create_public_app
        from tipline.jobs import Jobs
        from tipline.runtime import Runtime

        runtime = Runtime(self.settings, threads=int(self.options["threads"]))
        if self.engine is not None:
            runtime.use_engine(self.engine)
        with refusals_in_one_line():
            app = create_public_app(self.settings, runtime)
        if self.jobs:
            self._jobs = Jobs(runtime)
            self._jobs.start_background()
        # What start-up built (modules, the engine's catalogs and models, the app) lives as long as
        # the worker: out of the collector's way, so that its full collections while serving walk
        # only what requests make (issue 11), and pages shared with the master stay shared.
        gc.freeze()
        return app


def run_public(settings: Settings, *, host: str, port: int, workers: int, threads: int, jobs: bool,
               engine: ConversationEngine | None = None) -> None:
    settings.check_servable()  # never serve reporters with the tests' cheap Argon2id costs
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        # gthread, taking a new connection only with a thread free: kept-alive connections spread
        # over the workers instead of piling on one (tipline/gunicorn_worker.py, issue 11).
        "worker_class": WORKER_CLASS if threads > 1 else "sync",
        "timeout": 30,
        "graceful_timeout": GRACEFUL,
        "accesslog": None,  # access logs would carry timing per sender; keep them off
        "logger_class": LineLogger,  # its lines in the line's format and level (TIPLINE_LOG_*)
        # gunicorn's control socket (gunicornc) is one path per user ($HOME/.gunicorn/gunicorn.ctl): serve and
        # console of one host (or containers sharing the data volume) would take it from each other. Unused: off.
        "control_socket_disable": True,
    }
    _PublicServer(settings, options, jobs, engine).run()
