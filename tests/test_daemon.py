"""`imgur-sync run` as systemd runs it: a subprocess with a fake NOTIFY_SOCKET and watchdog."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from daemon_support import DEADLINE, ROOT, NotifySocket, daemon_config, start_daemon
from hostile_media import Drip, hostile_media

from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import render_tiny_png


@pytest.mark.slow
def test_run_under_a_fake_systemd(start_sandbox: Callable[..., Sandbox], tmp_path: Path,
                                  notify: NotifySocket) -> None:
    sb = start_sandbox("demo")
    drop = tmp_path / "drop"
    drop.mkdir()  # a drop folder that does not exist is a config error
    config = daemon_config(tmp_path, sb, pull_every="2s",
                            more=f'[[upload]]\npath = "{drop}"\nalbum = "From the daemon"\n')
    proc, env = start_daemon(config, tmp_path, notify)
    try:
        notify.wait_for(lambda m: "READY=1" in m.split("\n"))
        notify.wait_for(lambda m: m.startswith("STATUS=Last quick pull: ok"))
        quick_pulls = sb.counters.by_route["GET /3/account/<u>/images/<int:page>"]
        # Quick pulls keep coming on the short interval (each lists the images once).
        notify.wait_for(lambda m: sb.counters.by_route[
            "GET /3/account/<u>/images/<int:page>"] >= quick_pulls + 2)
        (drop / "hello.png").write_bytes(render_tiny_png(4242))
        album = _wait_for_album_with_image(sb, "From the daemon", "hello")
        assert len(album.image_ids) == 1
        notify.wait_for(lambda m: notify.count("WATCHDOG=1") >= 3)
        # A file that arrives just before SIGTERM is journaled, never lost.
        (drop / "late.png").write_bytes(render_tiny_png(4343))
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert time.monotonic() - started < 10
        assert "STOPPING=1" in "\n".join(notify.messages) or notify.wait_for(
            lambda m: "STOPPING=1" in m.split("\n"), timeout=1)
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # Nothing lost: a second run (push) uploads whatever the first did not get to.
    subprocess.run([sys.executable, "-m", "imgur_sync", "push"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=60)
    album = _wait_for_album_with_image(sb, "From the daemon", "late")
    titles = sorted(sb.world.image(i).title for i in album.image_ids)
    assert titles == ["hello", "late"]


def _media_only(path: str) -> bool:
    """Whether a sandbox path is a media file (not the API, OAuth or the control routes)."""
    return not path.startswith(("/3/", "/oauth2/", "/__sandbox__"))


def _stop_within_ten_seconds(proc: subprocess.Popen[str]) -> str:
    """SIGTERM ``proc``; it must exit 0 within 10 s. Return its stderr."""
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)  # TimeoutExpired: not answered in time
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return err


@contextlib.contextmanager
def _daemon_behind_a_dripping_host(sb: Sandbox, tmp_path: Path, notify: NotifySocket,
                                   more: str = "") -> Iterator[subprocess.Popen[str]]:
    """Run the daemon on ``sb`` with every media file dripping, a byte every 0.2 s."""
    with hostile_media(lambda path: Drip(5000, every=0.2, at_most=60) if _media_only(path)
                       else None, upstream=sb.url) as host:
        proc, _ = start_daemon(daemon_config(tmp_path, sb, api_url=host.url, more=more),
                               tmp_path, notify)
        try:
            notify.wait_for(lambda m: "READY=1" in m.split("\n"))
            notify.wait_for(lambda m: host.sent > 0)  # downloads under way
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.mark.slow
def test_sigterm_is_answered_within_ten_seconds_mid_download(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path, notify: NotifySocket) -> None:
    # Each media file would take minutes to arrive.
    with _daemon_behind_a_dripping_host(start_sandbox("demo"), tmp_path, notify) as proc:
        _stop_within_ten_seconds(proc)


@pytest.mark.slow
def test_a_stuck_pull_stops_the_watchdog_pings(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path, notify: NotifySocket) -> None:
    with _daemon_behind_a_dripping_host(start_sandbox("demo"), tmp_path, notify,
                                        more='stuck_after = "2s"\n') as proc:
        notify.wait_for(lambda m: m.startswith("STATUS=Pull stuck for"))
        pings = notify.count("WATCHDOG=1")
        # Four more status lines (one a tick), and not one ping among them.
        stuck = len(notify.messages)
        notify.wait_for(lambda m: sum(x.startswith("STATUS=")
                                      for x in notify.messages[stuck:]) >= 4)
        assert notify.count("WATCHDOG=1") == pings
        err = _stop_within_ten_seconds(proc)
    assert "has not moved for" in err and "systemd restarts imgur-sync" in err


def test_watchdog_silent_without_watchdog_usec() -> None:
    from imgur_sync.daemon import Notifier

    assert Notifier({"NOTIFY_SOCKET": "/run/x"}).watchdog_interval is None
    assert Notifier({"WATCHDOG_USEC": "4000000"}).watchdog_interval == 2.0
    assert Notifier({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert Notifier({"NOTIFY_SOCKET": "@abstract"}).address == "\0abstract"


def _wait_for_album_with_image(sb: Sandbox, title: str, image_title: str) -> object:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        for album in sb.world.albums_of(sb.username):
            if album.title == title and any(
                    sb.world.image(i).title == image_title for i in album.image_ids):
                return album
        time.sleep(0.05)  # polling the sandbox's state for an event, bounded by DEADLINE
    raise AssertionError(f"{image_title!r} never reached album {title!r}")
