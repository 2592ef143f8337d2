"""`imgur-sync run` meets a 429 that says the application's daily credits are spent."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import requests
from daemon_support import NotifySocket, start_daemon
from support import sandbox_config

from imgur_sync.sandbox import Sandbox


def test_run_recovers_from_spent_client_credits_without_a_restart(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path, notify: NotifySocket) -> None:
    sb = start_sandbox("demo")
    config = sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror")
    with config.open("a", encoding="utf-8") as file:
        file.write('\n[schedule]\npull_every = "1s"\nreconcile_every = "1h"\n')
    proc, _ = start_daemon(config, tmp_path, notify)
    try:
        notify.wait_for(lambda m: m.startswith("STATUS=Last quick pull: ok"))
        # Imgur's recorded answer: a 429 with x-ratelimit-clientremaining: 0, here with a
        # reset 2 s away; a client that keeps the 0 refuses every call from then on.
        spent = {"rates": {"rate_limit": 1.0}, "client_exhausted": 1.0, "client_reset": 2}
        requests.post(f"{sb.url}/__sandbox__/faults", json=spent, timeout=10).raise_for_status()
        notify.messages.clear()
        # Held back until the reset: a deferral, said as such, not a failed pull.
        notify.wait_for(lambda m: m.startswith("STATUS=Last quick pull: ok, deferred"))
        assert sb.counters.by_status[429] >= 1
        requests.post(f"{sb.url}/__sandbox__/faults", json={}, timeout=10).raise_for_status()
        notify.messages.clear()
        notify.wait_for(lambda m: m.startswith("STATUS=Last quick pull: ok"))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert "daily Imgur credits left" in err and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
