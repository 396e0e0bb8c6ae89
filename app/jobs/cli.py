"""`yanxiu worker`: run due jobs (timers, reminders) until interrupted."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--name", default=None, help="Worker name shown on claimed jobs (default: host:pid).")
@click.option("--batch", default=20, show_default=True, type=int, help="Jobs claimed per poll.")
@click.option("--poll", default=1.0, show_default=True, type=float, help="Seconds to sleep when idle.")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@with_appcontext
def worker_command(name: str | None, batch: int, poll: float, once: bool) -> None:
    """Run durable jobs (BPMN timers, reminders, escalations). Start any number on PostgreSQL; one on SQLite."""
    from app.jobs.worker import Worker

    app = current_app._get_current_object()
    worker = Worker(app, name=name, batch=batch, poll_seconds=poll)
    if once:
        worker.start()
        total = 0
        while (n := worker.run_once()):
            total += n
        click.echo(f"ran {total} job(s)")
        return
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    click.echo(f"worker {worker.name} polling every {poll}s (Ctrl+C to stop)")
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()
