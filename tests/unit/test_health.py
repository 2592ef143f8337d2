"""What `status --check` judges, and the metrics file's text, from a state database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgur_sync.alerts import render_metrics
from imgur_sync.paths import database_path
from imgur_sync.settings.config import Config, load_config
from imgur_sync.status import collect_status, render_status
from imgur_sync.store import SIGN_IN_FAILURE, Store

NOW = 1_800_000_000.0
HOUR = 3600.0


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "config.toml"  # pull_every 15m, so stale_after 45m; stuck_after 2h
    path.write_text(f'[imgur]\nclient_id = "abc"\n[mirror]\nroot = "{tmp_path / "m"}"\n',
                    encoding="utf-8")
    return load_config(path, {"HOME": str(tmp_path)})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    state = tmp_path / "state"
    state.mkdir()
    with Store(database_path(state)) as store:
        yield store


def pull(store: Store, outcome: str, ended: float, error: str | None = None) -> int:
    run = store.start_run("quick", now=ended - 5)
    store.finish_run(run, outcome, now=ended, error=error, requests=7, downloaded_bytes=1234)
    return run


def problems(config: Config, tmp_path: Path, now: float = NOW) -> list[str]:
    status = collect_status(config, tmp_path / "state", clock=lambda: now)
    assert status["check"]["healthy"] == (not status["check"]["problems"])
    return status["check"]["problems"]


def test_never_pulled_is_a_problem(config: Config, tmp_path: Path) -> None:
    assert problems(config, tmp_path) == [
        "never pulled: run `imgur-sync pull` to make the first copy"]


def test_a_recent_good_pull_is_healthy(config: Config, store: Store, tmp_path: Path) -> None:
    pull(store, "failed", NOW - 2 * HOUR, error="no answer")
    pull(store, "partial", NOW - 60)  # some items failed: status lists them, not --check
    status = collect_status(config, tmp_path / "state", clock=lambda: NOW)
    assert status["check"] == {"healthy": True, "problems": []}
    assert "Health        ok" in render_status(status)


def test_a_failed_last_pull_is_a_problem_until_one_succeeds(config: Config, store: Store,
                                                           tmp_path: Path) -> None:
    pull(store, "ok", NOW - 120)
    pull(store, "failed", NOW - 60, error="Imgur did not answer (connection refused)")
    store.start_run("quick", now=NOW - 1)  # running now: the failure stands until it ends
    [problem] = problems(config, tmp_path)
    assert problem.startswith("the last pull failed at ")
    assert problem.endswith(": Imgur did not answer (connection refused)")
    store.mark_interrupted_runs(now=NOW)  # a stop is not a failure, nor a success
    assert len(problems(config, tmp_path)) == 1
    pull(store, "ok", NOW)
    assert problems(config, tmp_path) == []


def test_no_good_pull_within_stale_after_is_a_problem(config: Config, store: Store,
                                                      tmp_path: Path) -> None:
    pull(store, "ok", NOW - 44 * 60)
    assert problems(config, tmp_path) == []
    [problem] = problems(config, tmp_path, now=NOW + 2 * 60)
    assert problem.startswith("no pull has succeeded for 46m (the last good one ended ")
    assert problem.endswith("[alerts] stale_after is 45m)")


def test_an_upload_waiting_longer_than_stuck_after_is_a_problem(
        config: Config, store: Store, tmp_path: Path) -> None:
    pull(store, "ok", NOW)
    store.add_upload("/drop/new.png", sha256="a" * 64, size=1, album_id=None,
                     marker="imgur-sync:1", now=NOW - HOUR)  # waiting, but not for long
    old = store.add_upload("/drop/old.png", sha256="b" * 64, size=1, album_id=None,
                           marker="imgur-sync:2", now=NOW - 3 * HOUR)
    done = store.add_upload("/drop/done.png", sha256="c" * 64, size=1, album_id=None,
                            marker="imgur-sync:3", now=NOW - 5 * HOUR)
    store.mark_upload(done, "done", now=NOW - 5 * HOUR)
    store.mark_upload(old, "failed", now=NOW - 60, error="Imgur answered 500")
    [problem] = problems(config, tmp_path)
    assert problem == ("1 upload(s) have waited longer than [schedule] stuck_after (2h); the "
                       "oldest, /drop/old.png: Imgur answered 500")


def test_a_refused_sign_in_is_a_problem(config: Config, store: Store, tmp_path: Path) -> None:
    pull(store, "ok", NOW - 60)
    store.add_failure(SIGN_IN_FAILURE, None, "Imgur refused the refresh token (revoked)")
    store.add_failure("download", "images/x.png", "HTTP 500")  # an item: not --check's
    assert problems(config, tmp_path) == [
        "Imgur refuses the sign-in: Imgur refused the refresh token (revoked)"]
    status = collect_status(config, tmp_path / "state", clock=lambda: NOW)
    text = render_status(status)
    assert "1 problem(s), listed below (`imgur-sync status --check` exits 4)" in text
    assert "Imgur refuses the sign-in: Imgur refused the refresh token" in text


SAMPLE = re.compile(r'imgur_sync_[a-z_]+\{account="(?:[^"\\]|\\.)*"(,[a-z]+="[a-z_]+")?\} '
                    r"-?[0-9.e+]+")


def test_metrics_are_prometheus_text(config: Config, store: Store, tmp_path: Path) -> None:
    store.set_setting("account_username", 'odd"name\\')
    pull(store, "ok", NOW - 60)
    pull(store, "failed", NOW, error="no answer")
    text = render_metrics(collect_status(config, tmp_path / "state", clock=lambda: NOW))
    lines = text.splitlines()
    assert text.endswith("\n")
    samples = [line for line in lines if not line.startswith("#")]
    assert [line for line in samples if not SAMPLE.fullmatch(line)] == []
    values = {line.split("{")[0]: line.rsplit(" ", 1)[1] for line in samples}
    assert values["imgur_sync_last_success_timestamp_seconds"] == str(int(NOW - 60))
    assert values["imgur_sync_last_run_timestamp_seconds"] == str(int(NOW))
    assert values["imgur_sync_last_run_success"] == "0"
    assert values["imgur_sync_last_run_requests"] == "7"
    assert values["imgur_sync_last_run_downloaded_bytes"] == "1234"
    assert values["imgur_sync_healthy"] == "0"
    assert 'account="odd\\"name\\\\"' in samples[0]
    # Each metric has its HELP and TYPE once, before its samples.
    names = [line.split()[2] for line in lines if line.startswith("# TYPE")]
    assert len(names) == len(set(names)) == len({s.split("{")[0] for s in samples})
