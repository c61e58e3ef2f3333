"""The web workers' gunicorn worker class: gthread, taking a new connection only with a thread free.

gunicorn's stock gthread worker accepts a connection whenever its main thread wakes, and a kept-alive
connection stays with the worker that accepted it.  The workers race for new connections, and the
winner is not the one with threads to spare.  Measured with wrk's 8 kept-alive connections on 2
workers x 4 threads (issue 11, bench/RESULTS.md): one worker held 5 to 8 of them in every run, ran
at 0.9-1.2 cores while the other idled at 0-0.5, and the line answered 7-11% fewer webhooks (half,
when one worker held all 8).  A Python process runs its Python on one core at a time (the GIL), so
a proxy's kept-alive upstream connections piled on one worker hold the whole line to one core.

Here a worker stops listening while every one of its threads has a request, and listens again when
one is free: a new connection waits in the kernel's queue for the first worker with a thread free.
Capping ``worker_connections`` at the thread count would balance the same, but a connection idling
between requests counts against that cap until its keep-alive ends, so a proxy's idle upstream
connections would keep new ones waiting; here only requests in progress count.

Every method below runs on the worker's main thread (gunicorn defers request completions to it),
so ``busy`` needs no lock.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker

WORKER_CLASS = "tipline.gunicorn_worker.FreeThreadWorker"  # gunicorn's worker_class setting names it


class FreeThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no type hints
    busy = 0  # requests handed to the thread pool and not finished

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop asks to listen whenever it holds fewer connections than its cap.
        super().set_accept_enabled(enabled and self.busy < self.cfg.threads)

    def enqueue_req(self, conn: Any) -> None:
        self.busy += 1
        super().enqueue_req(conn)
        if self.busy >= self.cfg.threads:
            self.set_accept_enabled(False)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.busy -= 1
        super().finish_request(conn, fs)  # may hand the connection straight back (read-ahead)
        if self.alive:
            self.set_accept_enabled(self.nr_conns < self.worker_connections)
