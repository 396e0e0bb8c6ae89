"""The worker loop: poll for due jobs, run them, sleep when there is nothing to do.

Any number of workers may run against PostgreSQL, on any machine; on SQLite run one (the demo runs
it in a background thread of the web process).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from flask import Flask

from app.extensions import db
from app.jobs.services import DEFAULT_LEASE, run_due_jobs

log = logging.getLogger(__name__)


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


class Worker:
    """Runs due jobs until :meth:`stop` is called."""

    def __init__(self, app: Flask, *, name: str | None = None, batch: int = 20, poll_seconds: float = 1.0,
                 lease: timedelta = DEFAULT_LEASE):
        self.app = app
        self.name = name or default_name()
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.processed = 0
        self._stop = threading.Event()

    def run_once(self) -> int:
        """Claim and run one batch; return how many jobs were run."""
        with self.app.app_context():
            try:
                outcomes = run_due_jobs(self.name, limit=self.batch, lease=self.lease)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                db.session.rollback()
                log.exception("worker %s: claiming jobs failed", self.name)
                return 0
            finally:
                db.session.remove()
        self.processed += len(outcomes)
        return len(outcomes)

    def start(self) -> None:
        """What a worker does once when it starts: make sure the mail jobs exist (if SMTP is set)."""
        from app.jobs.mail import ensure_mail_jobs

        with self.app.app_context():
            try:
                ensure_mail_jobs()
                db.session.commit()
            except Exception:  # noqa: BLE001 - another worker scheduling them at once is harmless
                db.session.rollback()
                log.exception("worker %s: scheduling the mail jobs failed", self.name)
            finally:
                db.session.remove()

    def run_forever(self) -> None:
        log.info("worker %s started", self.name)
        self.start()
        while not self._stop.is_set():
            if self.run_once() == 0:
                self._stop.wait(self.poll_seconds)
        log.info("worker %s stopped after %s jobs", self.name, self.processed)

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self) -> threading.Thread:
        """Run in a daemon thread (the demo's in-process worker)."""
        thread = threading.Thread(target=self.run_forever, name=f"yanxiu-worker-{self.name}", daemon=True)
        thread.start()
        return thread
