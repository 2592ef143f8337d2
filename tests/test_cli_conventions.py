"""The command line as people expect it: global options after the command, -q silent on
success, --json with a documented schema, --log-file, shell completion, and journald's
priorities and progress lines. Each command runs for real (``python -m imgur_sync``) against
the sandbox over HTTP."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from daemon_support import DEADLINE, NotifySocket, daemon_config
from pull_support import ROOT, cli_env, run_cli, write_config
from support import FakeClock, sandbox_config

from imgur_sync.account.tokens import TokenStore
from imgur_sync.api import Transport
from imgur_sync.mirror import Mirror
from imgur_sync.mirror.progress import ProgressLog
from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import render_tiny_png
from imgur_sync.settings.config import load_config
from imgur_sync.store import Store

JSON_DOC = ROOT / "docs" / "JSON.md"
_ROW = re.compile(r"^\| `([a-z_]+)` \|", re.M)


def documented_keys(heading: str) -> set[str]:
    """The keys docs/JSON.md lists in the table under ``## heading``."""
    text = JSON_DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return set(_ROW.findall(text[start:end if end > 0 else None]))


def _with_imgur_keys(config: Path, lines: str) -> Path:
    """Add ``lines`` to the config's [imgur] table."""
    text = config.read_text(encoding="utf-8").replace("[imgur]\n", f"[imgur]\n{lines}\n", 1)
    config.write_text(text, encoding="utf-8")
    return config


# -- global options after the command ---------------------------------------------------------


def test_global_options_are_taken_after_the_command(demo: Sandbox, tmp_path: Path) -> None:
    config = write_config(tmp_path, demo)
    env = cli_env(tmp_path, tmp_path / "elsewhere.toml")  # only --config finds the file
    pulled = run_cli(env, "pull", "-v", "--config", str(config))
    assert pulled.returncode == 0, pulled.stderr
    assert " DEBUG " in pulled.stderr  # -v after the command counts
    assert "Quick pull of" in pulled.stdout
    shown = run_cli(env, "status", "--config", str(config), "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["last_runs"]
    checked = run_cli(env, "config", "check", "--config", str(config))
    assert checked.returncode == 0 and str(tmp_path / "mirror") in checked.stdout
    # Given twice, the one after the command wins; -v given before and after adds up.
    later = run_cli(env, "--config", str(tmp_path / "nothing.toml"), "-v", "pull", "-q",
                    "--config", str(config))
    assert later.returncode == 0, later.stderr
    assert later.stdout == ""
    helped = run_cli(env, "pull", "--help")
    assert all(option in helped.stdout for option in ("--config", "-v", "-q", "--log-file"))


# -- -q ---------------------------------------------------------------------------------------


def with_a_dropped_file(sb: Sandbox, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Write a config with one drop folder holding one new picture; return the CLI's
    environment and the picture."""
    drop = tmp_path / "drop"
    drop.mkdir()
    picture = drop / "new.png"
    picture.write_bytes(render_tiny_png(1515))
    config = sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror",
                            uploads=[(drop, "Drops", "keep")])
    return cli_env(tmp_path, config), picture


def test_quiet_prints_nothing_on_success_and_still_the_errors(
        demo: Sandbox, tmp_path: Path, refusing_url: str) -> None:
    env, _ = with_a_dropped_file(demo, tmp_path)
    for args in (("pull", "-q"), ("-q", "push"), ("verify", "-q"), ("pull", "--full", "-q")):
        done = run_cli(env, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert (done.stdout, done.stderr) == ("", ""), args
    assert list((tmp_path / "mirror").rglob("*.png"))  # it did the work, silently
    down = sandbox_config(tmp_path / "down.toml", demo, tmp_path / "mirror",
                          api_url=refusing_url)
    failed = run_cli(cli_env(tmp_path, _with_imgur_keys(down, "retries = 0")), "pull", "-q")
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert "Error: No answer from Imgur" in failed.stderr


# -- --json -----------------------------------------------------------------------------------


def test_json_of_each_command_has_the_documented_keys(demo: Sandbox, tmp_path: Path) -> None:
    env, picture = with_a_dropped_file(demo, tmp_path)

    def as_json(*args: str) -> dict[str, object]:
        done = run_cli(env, *args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # stdout holds the JSON and nothing else

    dry = as_json("pull", "--dry-run")
    assert set(dry) == documented_keys("pull --dry-run")
    assert dry["dry_run"] is True and dry["planned"]["download"] > 0
    assert {"kind", "path", "source"} == set(dry["actions"][0])
    pulled = as_json("pull")
    assert set(pulled) == documented_keys("pull")
    assert pulled["outcome"] == "ok"
    assert pulled["done"]["download"] == dry["planned"]["download"]
    assert pulled["downloaded_bytes"] > 0
    pushed = as_json("push")
    assert set(pushed) == documented_keys("push")
    [uploaded] = pushed["uploaded"]
    assert uploaded["path"] == str(picture) and uploaded["id"] in demo.world.images
    verified = as_json("verify")
    assert set(verified) == documented_keys("verify")
    assert verified["checked"] > 0 and verified["remaining"] == []


def test_json_of_a_partial_verify_lists_the_problem_and_exits_3(demo: Sandbox,
                                                               tmp_path: Path) -> None:
    env = cli_env(tmp_path, write_config(tmp_path, demo))
    assert run_cli(env, "pull", "-q").returncode == 0
    victim = next(p for p in (tmp_path / "mirror" / "images").iterdir()
                  if p.suffix not in (".xmp", ".json"))  # an image, not its sidecar
    victim.unlink()
    done = run_cli(env, "verify", "--json")
    assert done.returncode == 3
    report = json.loads(done.stdout)
    assert report["missing"] == 1
    assert [p["path"] for p in report["remaining"]] == [f"images/{victim.name}"]


# -- --log-file -------------------------------------------------------------------------------


def test_the_log_file_gets_the_log_and_no_secret(demo: Sandbox, tmp_path: Path) -> None:
    env = cli_env(tmp_path, write_config(tmp_path, demo))
    log_file = tmp_path / "imgur-sync.log"
    done = run_cli(env, "pull", "-q", "-v", "--log-file", str(log_file))
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")  # -q: the terminal stays quiet …
    text = log_file.read_text(encoding="utf-8")
    assert re.search(r"^\d{4}-\d\d-\d\d .* DEBUG imgur_sync\.api\.transport: GET /3/", text,
                     re.M)  # … and the file gets everything -v asks for
    tokens = TokenStore(tmp_path / "state" / "imgur-sync").load()
    assert tokens is not None and tokens.access_token
    secrets = [demo.client_secret, demo.refresh_token, tokens.access_token,
               tokens.refresh_token]
    assert [s for s in secrets if s and s in text] == []
    refused = run_cli(env, "pull", "--log-file", str(tmp_path / "no" / "such" / "dir.log"))
    assert refused.returncode == 2
    assert "cannot open the log file" in refused.stderr and "Traceback" not in refused.stderr


# -- [imgur] retries and timeout --------------------------------------------------------------


def test_retries_and_timeout_reach_the_client(demo: Sandbox, tmp_path: Path) -> None:
    from imgur_sync.account.signin import open_client

    config = load_config(_with_imgur_keys(write_config(tmp_path, demo),
                                          'retries = 2\ntimeout = "5s"'))
    client = open_client(config, TokenStore(tmp_path / "state"))
    assert client.transport.retry.attempts == 3
    assert client.transport.timeout == (5.0, 5.0)
    assert client.transport.media.timeout.read_timeout == 5.0
    default = open_client(load_config(write_config(tmp_path, demo)), TokenStore(tmp_path / "s"))
    assert default.transport.retry.attempts == 10
    assert default.transport.timeout == (10.0, 60.0)


# -- shell completion -------------------------------------------------------------------------


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o nosort -F"),
                                               ("zsh", "#compdef imgur-sync"),
                                               ("fish", "complete --no-files --command")])
def test_the_completion_script_is_produced(tmp_path: Path, shell: str, marker: str) -> None:
    env = {**cli_env(tmp_path, tmp_path / "config.toml"), "_IMGUR_SYNC_COMPLETE": f"{shell}_source"}
    done = run_cli(env)
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout and "_IMGUR_SYNC_COMPLETE" in done.stdout
    words = run_cli({**env, "_IMGUR_SYNC_COMPLETE": "bash_complete", "COMP_WORDS": "imgur-sync pu",
                     "COMP_CWORD": "1"})
    assert "plain,pull" in words.stdout.split() and "plain,push" in words.stdout.split()


# -- journald ---------------------------------------------------------------------------------


def run_on_journal(env: dict[str, str], tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run the CLI with stderr on a file that $JOURNAL_STREAM names, as systemd does for a
    service; return the exit code and what went to stderr."""
    log_path = tmp_path / "journal.txt"
    with log_path.open("w", encoding="utf-8") as stream:
        info = os.fstat(stream.fileno())
        done = subprocess.run([sys.executable, "-m", "imgur_sync", *args], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=stream, timeout=90, cwd=ROOT,
                              env={**env, "JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"})
    return done.returncode, log_path.read_text(encoding="utf-8")


def test_on_the_journal_every_line_carries_its_priority(
        demo: Sandbox, tmp_path: Path, refusing_url: str) -> None:
    down = sandbox_config(tmp_path / "down.toml", demo, tmp_path / "mirror", api_url=refusing_url)
    env = cli_env(tmp_path, _with_imgur_keys(down, "retries = 0"))
    code, text = run_on_journal(env, tmp_path, "pull", "-v")
    assert code == 1
    lines = text.splitlines()
    assert lines and [line for line in lines if not re.match(r"<[2-7]>", line)] == []
    assert any(line.startswith("<7>DEBUG ") for line in lines)
    error = next(line for line in lines if "Error: No answer from Imgur" in line)
    assert error.startswith("<3>Error: ")
    assert not re.search(r"\d\d:\d\d:\d\d", text)  # journald stamps the lines itself
    # The variable alone is not the journal: a child whose stderr went elsewhere.
    elsewhere = run_cli({**env, "JOURNAL_STREAM": "1:1"}, "pull")
    assert elsewhere.returncode == 1 and not re.search(r"^<\d>", elsewhere.stderr, re.M)


def test_a_long_pull_off_a_terminal_logs_progress_lines(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    sb = start_sandbox("big", scale=1)
    config = load_config(write_config(tmp_path, sb))
    clock = FakeClock()
    transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                          api_url=sb.url)
    reporter = ProgressLog(every_files=100, every_seconds=30, clock=clock)
    caplog.set_level(logging.INFO, logger="imgur_sync.mirror.progress")
    with Store(tmp_path / "state.db") as store:
        result = Mirror(config, store, transport, progress=reporter.update).pull()
    assert result.outcome == "ok", result.problems
    lines = [r.getMessage() for r in caplog.records if r.name == "imgur_sync.mirror.progress"]
    planned = result.planned["download"]
    assert len(lines) == planned // 100  # one line every 100 files, none by time (frozen)
    first = re.fullmatch(r"progress: (\d+) listed, 100/(\d+) downloaded \((.+), (.+)/s\)",
                         lines[0])
    assert first is not None, lines[0]
    assert int(first[1]) >= 1000 and int(first[2]) == planned
    assert first[4] == "0 bytes"  # the frozen clock saw no time pass: no rate made up
    # Time passes with nothing done: the next tick says where the pull stands.
    clock.now += 30
    reporter.tick()
    assert caplog.records[-1].getMessage().startswith(f"progress: {first[1]} listed, "
                                                      f"{planned}/{planned} downloaded")


@pytest.mark.slow
def test_the_service_on_the_journal_logs_progress_and_no_scheduler_chatter(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path, notify: NotifySocket) -> None:
    sb = start_sandbox("big", scale=1)  # over 1000 downloads: one line by count at least
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(IMGUR_SYNC_CONFIG=str(daemon_config(tmp_path, sb)), PYTHONPATH=str(ROOT),
               XDG_STATE_HOME=str(tmp_path / "state"), NOTIFY_SOCKET=str(notify.path))
    journal = tmp_path / "journal.txt"
    with journal.open("w", encoding="utf-8") as stream:
        info = os.fstat(stream.fileno())
        env["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}"
        proc = subprocess.Popen([sys.executable, "-m", "imgur_sync", "run"], env=env, cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=stream)
    try:
        notify.wait_for(lambda m: m.startswith("STATUS=Last quick pull: ok"))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = journal.read_text(encoding="utf-8")
    assert re.search(r"^<6>INFO imgur_sync\.mirror\.progress: progress: \d+ listed, "
                     r"1000/\d+ downloaded \(", text, re.M), text
    assert re.search(r"^<6>INFO imgur_sync\.daemon: quick pull ok", text, re.M), text
    # APScheduler ran the pull as a job, and said nothing about it below a warning.
    assert not re.search(r"^<[67]>\w+ apscheduler", text, re.M), text
