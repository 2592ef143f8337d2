"""A broken backup is not silent: `status --check`, the ping URL, on_failure and the metrics.

Against the real sandbox over HTTP, a ping receiver of our own on 127.0.0.1 (http.server in a
thread) and, for on_failure, a small script that appends its environment to a file.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from daemon_support import DEADLINE, NotifySocket, daemon_config, start_daemon
from pull_support import cli_env, run_cli, write_config

from imgur_sync.errors import ExitCode
from imgur_sync.sandbox import Sandbox

HOOK = """\
import json, os, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(dict(os.environ)) + "\\n")
"""


class Receiver:
    """A healthchecks.io stand-in: records every ping's path and body, in order."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, str]] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.changed:
                    receiver.pings.append((self.path, body.decode()))
                    receiver.changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args: Any) -> None:  # the test reads self.pings instead
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ping/check-1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self, since: int = 0) -> list[str]:
        """The pings' paths after the check's own URL: "/start", "" or "/fail"."""
        prefix = "/ping/check-1"
        return [path.removeprefix(prefix) for path, _ in self.pings[since:]]

    def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(predicate, timeout=DEADLINE):
                raise AssertionError(f"never got {what}; got {self.pings}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def alerts_table(tmp_path: Path, receiver: Receiver, **more: str | int) -> str:
    """An [alerts] table: ping the receiver, the hook script, metrics in ``tmp_path``."""
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK, encoding="utf-8")
    command = shlex.join([sys.executable, str(hook), str(tmp_path / "hook.jsonl")])
    lines = ["[alerts]", f"on_failure = {json.dumps(command)}",
             f'ping_url = "{receiver.url}"', f'metrics_file = "{tmp_path / "imgur-sync.prom"}"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in more.items()]
    return "\n".join(lines) + "\n"


def hook_runs(tmp_path: Path) -> list[dict[str, str]]:
    """The environments on_failure ran with, in order."""
    record = tmp_path / "hook.jsonl"
    return [json.loads(line) for line in record.read_text().splitlines()] if (
        record.exists()) else []


def metric(tmp_path: Path, name: str) -> str | None:
    """The value of metric ``imgur_sync_<name>`` (its one sample) in the metrics file."""
    path = tmp_path / "imgur-sync.prom"
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.startswith(f"imgur_sync_{name}{{"):
            return line.rsplit(" ", 1)[1]
    return None


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"{what} did not happen within {DEADLINE} s")
        time.sleep(0.05)  # polling a file another process writes, bounded by DEADLINE


@contextlib.contextmanager
def drained(notify: NotifySocket) -> Iterator[None]:
    """Read the notify socket on a thread, as systemd does, so that the daemon never blocks
    sending to it while the test waits on something else; ``said`` then waits on it."""
    stop = threading.Event()

    def drain() -> None:
        notify.sock.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                notify.messages.append(notify.sock.recv(4096).decode())

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


@contextlib.contextmanager
def stopped(proc: subprocess.Popen[str]) -> Iterator[None]:
    """Kill ``proc`` on the way out if it still runs (a failed test)."""
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def said(notify: NotifySocket, predicate: Callable[[str], bool]) -> str:
    """Wait (under ``drained``) for a notification that matches; return it."""
    wait_until(lambda: any(predicate(m) for m in list(notify.messages)), "the notification")
    return next(m for m in notify.messages if predicate(m))


def check(env: dict[str, str]) -> tuple[int, list[str]]:
    """Run `status --check`; return its exit code and its lines."""
    result = run_cli(env, "status", "--check")
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout.splitlines()


@pytest.mark.slow
def test_a_refused_sign_in_pings_fail_runs_on_failure_once_and_shows_in_the_check(
        demo: Sandbox, tmp_path: Path, receiver: Receiver) -> None:
    config = write_config(tmp_path, demo)
    config.write_text(config.read_text() + alerts_table(tmp_path, receiver))
    # A secret in the environment is not handed on to the command.
    env = {**cli_env(tmp_path, config), "IMGUR_CLIENT_SECRET": demo.client_secret}
    assert run_cli(env, "pull").returncode == 0
    assert receiver.paths() == ["/start", ""]
    assert receiver.pings[1][1].startswith("imgur-sync quick pull ok: 17 downloaded")
    assert (metric(tmp_path, "last_run_success"), metric(tmp_path, "healthy")) == ("1", "1")
    assert int(metric(tmp_path, "last_run_requests") or 0) > 0
    # node_exporter, another user, reads it; it is replaced whole, no temporary left behind.
    assert stat.S_IMODE((tmp_path / "imgur-sync.prom").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.glob("*imgur-sync.prom*")] == ["imgur-sync.prom"]
    assert check(env) == (0, ["imgur-sync: healthy"])
    quiet = run_cli(env, "-q", "status", "--check")
    assert (quiet.returncode, quiet.stdout) == (0, "")  # cron mails nothing

    # Imgur forgets the refresh token (revoked) and the access token expires.
    revoked = demo.world.refresh_tokens.pop(demo.refresh_token)
    demo.world.expire_tokens()
    for _ in range(2):
        failed = run_cli(env, "pull")
        assert failed.returncode == ExitCode.ERROR
        assert "Imgur refused the refresh token" in failed.stderr
    assert receiver.paths(2) == ["/start", "/fail", "/start", "/fail"]
    assert receiver.pings[3][1].startswith("imgur-sync quick pull failed: Imgur answered 400: "
                                           "Imgur refused the refresh token")
    [run] = hook_runs(tmp_path)  # once for the incident, not once a pull
    assert "Imgur refused the refresh token" in run["IMGUR_SYNC_FAILURE"]
    assert (run["IMGUR_SYNC_ACCOUNT"], run["IMGUR_SYNC_RUN_KIND"]) == (demo.username, "quick")
    assert run["IMGUR_SYNC_RUN_ID"] == "2" and run["IMGUR_SYNC_SINCE"].endswith("Z")
    assert "IMGUR_CLIENT_SECRET" not in run
    code, lines = check(env)
    assert code == ExitCode.UNHEALTHY
    assert len(lines) == 2, lines
    assert lines[0].startswith("imgur-sync: the last pull failed at ")
    assert lines[1].startswith("imgur-sync: Imgur refuses the sign-in: Imgur answered 400: "
                               "Imgur refused the refresh token")
    status = json.loads(run_cli(env, "status", "--json").stdout)
    assert status["check"]["healthy"] is False and len(status["check"]["problems"]) == 2
    assert (metric(tmp_path, "last_run_success"), metric(tmp_path, "healthy")) == ("0", "0")

    # Signed in again: everything says so by itself, and on_failure is not run for it.
    demo.world.refresh_tokens[demo.refresh_token] = revoked
    assert run_cli(env, "pull").returncode == 0
    assert receiver.paths(6) == ["/start", ""]
    assert check(env) == (0, ["imgur-sync: healthy"])
    assert (metric(tmp_path, "last_run_success"), metric(tmp_path, "healthy")) == ("1", "1")
    assert len(hook_runs(tmp_path)) == 1
    # The next failure is a new incident.
    demo.world.refresh_tokens.pop(demo.refresh_token)
    demo.world.expire_tokens()
    assert run_cli(env, "pull").returncode == ExitCode.ERROR
    assert len(hook_runs(tmp_path)) == 2


def test_a_dry_run_pings_nothing(demo: Sandbox, tmp_path: Path, receiver: Receiver) -> None:
    config = write_config(tmp_path, demo)
    config.write_text(config.read_text() + alerts_table(tmp_path, receiver))
    assert run_cli(cli_env(tmp_path, config), "pull", "--dry-run").returncode == 0
    assert receiver.pings == [] and metric(tmp_path, "healthy") is None


def test_a_ping_host_that_is_down_fails_nothing(demo: Sandbox, tmp_path: Path,
                                                refusing_url: str) -> None:
    config = write_config(tmp_path, demo)
    config.write_text(config.read_text() + f'[alerts]\nping_url = "{refusing_url}/secret"\n')
    result = run_cli(cli_env(tmp_path, config), "pull")
    assert result.returncode == 0, result.stderr
    assert f"Could not ping {refusing_url.removeprefix('http://')} (ConnectionError); the " \
           "pull goes on" in result.stderr
    assert "secret" not in result.stderr  # the check's path lets anyone ping it


@pytest.mark.slow
def test_run_says_a_refused_sign_in_loudly_then_exits_for_on_failure(
        demo: Sandbox, tmp_path: Path, notify: NotifySocket) -> None:
    config = daemon_config(tmp_path, demo, pull_every="1s",
                           more="[alerts]\nexit_after_failures = 3\n")
    env = cli_env(tmp_path, config)
    cookies = demo.write_cookies(tmp_path / "cookies.txt")
    assert run_cli(env, "auth", "--cookies", str(cookies)).returncode == 0
    proc, _ = start_daemon(config, tmp_path, notify)
    with drained(notify), stopped(proc):
        said(notify, lambda m: m.startswith("STATUS=Last quick pull: ok"))
        # The browser session ends (signed out, or the cookie expired).
        requests.post(f"{demo.url}/__sandbox__/mutate/expire_cookies", json={},
                      timeout=10).raise_for_status()
        refused = said(notify, lambda m: m.startswith("STATUS=SIGN-IN REFUSED"))
        assert "run `imgur-sync auth`" in refused
        _, err = proc.communicate(timeout=DEADLINE)  # it stops by itself
    assert proc.returncode == ExitCode.FAILING, err
    assert "ERROR imgur_sync.daemon: IMGUR REFUSES THE SIGN-IN, so nothing is backed up" in err
    assert "3 pulls failed in a row ([alerts] exit_after_failures)" in err
    assert "Traceback" not in err
    code, lines = check(env)
    assert code == ExitCode.UNHEALTHY
    assert any(line.startswith("imgur-sync: Imgur refuses the sign-in: ") for line in lines)


@pytest.mark.slow
def test_sandbox_outage_is_told_once_and_recovered_from_by_itself(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path, notify: NotifySocket,
        receiver: Receiver) -> None:
    """The must-hold: with the sandbox down, `run` makes status --check fail, pings /fail,
    runs on_failure once and shows the failure in the metrics; all recover by themselves."""
    sb = start_sandbox("demo")
    port = sb.port
    # Two tries a request, not ten: a pull against a host that is down fails in a second.
    config = daemon_config(tmp_path, sb, pull_every="1s", retries=1, more=alerts_table(
        tmp_path, receiver, stale_after="3s", exit_after_failures=0))
    env = cli_env(tmp_path, config)
    proc, _ = start_daemon(config, tmp_path, notify)
    with drained(notify), stopped(proc):
        receiver.wait_for(lambda: "" in receiver.paths(), "a good pull's ping")
        assert check(env)[0] == 0

        sb.stop()  # the outage
        receiver.wait_for(lambda: receiver.paths().count("/fail") >= 3, "three /fail pings")
        fail = next(body for path, body in receiver.pings if path.endswith("/fail"))
        assert fail.startswith("imgur-sync quick pull failed: ")
        code, lines = check(env)
        assert code == ExitCode.UNHEALTHY
        assert lines[0].startswith("imgur-sync: the last pull failed at ")
        [run] = hook_runs(tmp_path)  # three failed pulls, one incident
        assert "the pull stopped after 2 tries" in run["IMGUR_SYNC_FAILURE"]
        wait_until(lambda: metric(tmp_path, "last_run_success") == "0", "metrics of a failure")
        assert metric(tmp_path, "healthy") == "0"
        said(notify, lambda m: "pulls failed in a row" in m)

        since = len(receiver.pings)
        start_sandbox("demo", port=port)  # back, on the same address
        receiver.wait_for(lambda: "" in receiver.paths(since), "a good pull's ping again")
        assert check(env) == (0, ["imgur-sync: healthy"])
        wait_until(lambda: metric(tmp_path, "last_run_success") == "1", "metrics of a success")
        assert metric(tmp_path, "healthy") == "1"
        assert len(hook_runs(tmp_path)) == 1
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Pulls work again (they failed from " in err
    assert "Traceback" not in err
