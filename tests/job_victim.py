"""A worker that is killed in the middle of a job (run as a subprocess by the timer tests).

It claims the due jobs, runs the first one up to the point where the job's effect is written (the
timer fired, the notices flushed) but not committed, says so on stdout, and waits to be killed.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from app import create_app
from app.clock import FrozenClock, install
from app.jobs import services, timers


def main() -> None:
    database_url, frozen_at, attachment_root = sys.argv[1:4]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ATTACHMENT_ROOT": attachment_root,
                      "SECRET_KEY": "victim"})
    install(FrozenClock(datetime.fromisoformat(frozen_at)))
    original = timers.finish_run

    def finish_then_hang(*args, **kwargs):
        result = original(*args, **kwargs)
        from app.extensions import db

        db.session.flush()
        print("INSIDE", flush=True)
        time.sleep(600)
        return result

    timers.finish_run = finish_then_hang
    with app.app_context():
        claimed = services.claim("victim")
        print("CLAIMED", len(claimed.jobs), flush=True)
        for job in claimed.jobs:
            services.run_claimed(job, claimed.holder)


if __name__ == "__main__":
    main()
