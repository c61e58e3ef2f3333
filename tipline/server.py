"""Runs the public app under gunicorn, with the jobs thread in each worker process."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from gunicorn.app.base import BaseApplication
from gunicorn.errors import AppImportError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage.db_errors import operator_line

from tipline.settings import Settings


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
    def __init__(self, settings: Settings, options: dict[str, Any], jobs: bool) -> None:
        self.settings = settings
        self.options = options
        self.jobs = jobs
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Built in each worker after the fork: python-telegram-bot's loop and the
        # database pool must not be shared across processes (CHANNELS.md pitfall 14).
        from tipline.app import create_public_app
        from tipline.jobs import Jobs
        from tipline.runtime import Runtime

        runtime = Runtime(self.settings, threads=int(self.options["threads"]))
        with refusals_in_one_line():
            app = create_public_app(self.settings, runtime)
        if self.jobs:
            Jobs(runtime).start_background()
        return app


def run_public(settings: Settings, *, host: str, port: int, workers: int, threads: int, jobs: bool) -> None:
    settings.check_servable()  # never serve reporters with the tests' cheap Argon2id costs
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": 30,
        "accesslog": None,  # access logs would carry timing per sender; keep them off
        "loglevel": "warning",
    }
    _PublicServer(settings, options, jobs).run()
