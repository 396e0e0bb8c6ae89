"""`yanxiu serve` runs the app under gunicorn and refuses production with the demo secret key."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

YANXIU = str(Path(sys.executable).with_name("yanxiu"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANXIU_")}
    env.update({"YANXIU_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'serve.sqlite'}",
                "YANXIU_ATTACHMENT_ROOT": str(tmp_path / "files"), **extra})
    return env


def test_production_serve_refuses_the_demo_secret_key(tmp_path):
    result = subprocess.run([YANXIU, "serve", "--workers", "1"], env=_env(tmp_path, YANXIU_ENV="production"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "YANXIU_SECRET_KEY" in result.stderr


def test_serve_answers_healthz_from_gunicorn_workers(tmp_path):
    env = _env(tmp_path, YANXIU_ENV="production", YANXIU_SECRET_KEY="s" * 40)
    subprocess.run([YANXIU, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    proc = subprocess.Popen([YANXIU, "serve", "--workers", "2", "--threads", "2", "--bind", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        body, headers = None, None
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body, headers = json.loads(r.read()), r.headers
                    break
            except OSError:
                time.sleep(0.25)
        assert body == {"status": "ok", "database": "ok"}
        assert headers["Server"].startswith("gunicorn")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    assert output.count("Booting worker") == 2
