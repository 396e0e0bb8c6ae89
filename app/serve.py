"""``yanxiu serve``: the app under gunicorn, the production WSGI server."""

from __future__ import annotations

import os

import click


def _gunicorn_application(options: dict):
    from gunicorn.app.base import BaseApplication

    class YanxiuApplication(BaseApplication):
        """Each gunicorn worker builds its own app (and its own database pool) after the fork."""

        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self):
            from app import create_app

            return create_app()

    return YanxiuApplication()


@click.command("serve")
@click.option("--bind", default=lambda: os.environ.get("YANXIU_BIND", "127.0.0.1:8000"),
              show_default="YANXIU_BIND or 127.0.0.1:8000", help="Address to listen on (host:port or unix:path).")
@click.option("--workers", default=lambda: int(os.environ.get("YANXIU_WORKERS", "2")), type=int,
              show_default="YANXIU_WORKERS or 2", help="Web processes.")
@click.option("--threads", default=lambda: int(os.environ.get("YANXIU_THREADS", "4")), type=int,
              show_default="YANXIU_THREADS or 4", help="Threads per process (gthread worker).")
@click.option("--timeout", default=60, show_default=True, type=int, help="Seconds before a stuck request's worker is restarted.")
@click.option("--access-log", is_flag=True, help="Log every request to standard output.")
def serve_command(bind: str, workers: int, threads: int, timeout: int, access_log: bool) -> None:
    """Serve the app with gunicorn (database URL and secrets from YANXIU_* environment variables).

    Run the migrations first (`yanxiu db upgrade`) and one or more `yanxiu worker` processes beside it.
    """
    from flask import current_app

    # The Flask CLI already built an app from the same environment: a production setting that is wrong
    # (the demo secret key) has stopped us before any worker is forked.
    if current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and workers > 1:
        click.echo("注意：SQLite 上多个 Web 进程共用一个数据库文件，写入会排队；生产环境请使用 PostgreSQL。", err=True)
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "graceful_timeout": 30,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        # Trust X-Forwarded-* from the proxy on this host only (see docs/deployment.md).
        "forwarded_allow_ips": os.environ.get("YANXIU_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "proc_name": "yanxiu",
    }
    _gunicorn_application(options).run()
