"""Two accounts sharing one client id on the sandbox with enforced limits: each takes its
credits from one ledger, neither starves the other, and neither sees a 429."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pull_support import ROOT, cli_env, run_cli
from support import FakeClock, sandbox_config

from imgur_sync.api import CreditLedger, read_ledger
from imgur_sync.mirror import Mirror
from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.settings.config import Config, load_config
from imgur_sync.workspace import Workspace

DAY = 86400
LIMIT = 200  # the client's daily credits: a quarter (50) holds three full pulls of the demo
OTHER = "catlover"


def _config(tmp_path: Path, sb: Sandbox, name: str, refresh_token: str) -> Config:
    folder = tmp_path / name
    folder.mkdir()
    path = sandbox_config(folder / "config.toml", sb, folder / "mirror")
    text = path.read_text(encoding="utf-8").replace(sb.refresh_token, refresh_token)
    path.write_text(text + '\n[budget]\nshare = "25%"\nreserve = 20\n', encoding="utf-8")
    return load_config(path)


def _pull(sb: Sandbox, config: Config, state: Path) -> tuple[str, int]:
    """One full pull on the sandbox's clock; return its outcome and the calls it sent (a
    pull the ledger held back says "deferred", which is no outcome of its own)."""
    with Workspace(config, purpose="test", state_dir=state, clock=sb.clock) as ws:
        result = Mirror(config, ws.store, ws.client.transport, clock=sb.clock).pull(full=True)
        if result.deferred is not None:
            # A deferral, not a failure: the run is ok and nothing is listed for `status`.
            assert result.outcome == "ok" and ws.store.counts()["open_failures"] == 0
            return "deferred", ws.client.transport.requests_sent
        return result.outcome, ws.client.transport.requests_sent


def _client_spent(sb: Sandbox) -> int:
    """The credits the sandbox charged the client id this day (a look that costs none)."""
    return LIMIT - sb.app.limits.credits(sb.client_id, "-", True)["ClientRemaining"]


def test_two_accounts_share_the_client_credits_and_neither_starves_the_other(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sb = start_sandbox("demo", clock=FakeClock(), options=SandboxOptions(
        client_limit=LIMIT, enforce_rate_limits=True))
    for n in range(3):
        sb.world.add_image(OTHER, f"Whiskers {n}")
    other_token = sb.world.issue_token(OTHER, sb.client_id).refresh_token
    # As imgur-sync@.service runs them: each account's own state directory, then the shared.
    states = {name: tmp_path / "state" / name for name in ("main", OTHER)}
    shared = tmp_path / "state" / "shared"
    monkeypatch.setenv("STATE_DIRECTORY", f"{states['main']}:{shared}")
    main, other = (_config(tmp_path, sb, "main", sb.refresh_token),
                   _config(tmp_path, sb, OTHER, other_token))

    # The main account pulls again and again: it stops itself at its quarter of the day,
    # and says so as a deferral to the reset, not as a failed pull.
    outcomes = [_pull(sb, main, states["main"])[0] for _ in range(5)]
    assert outcomes[:3] == ["ok"] * 3 and outcomes[-1] == "deferred"
    ledger = read_ledger(shared / "credits.db", sb.client_id)
    assert ledger is not None and [(a.account, a.reads) for a in ledger.accounts] == [
        ("main", LIMIT // 4)]
    # The other account's pull finds its share untouched.
    outcome, other_sent = _pull(sb, other, states[OTHER])
    assert outcome == "ok"
    ledger = read_ledger(shared / "credits.db", sb.client_id)
    assert ledger is not None and ledger.period == 1
    spent = {a.account: a.reads for a in ledger.accounts}
    assert spent == {"main": LIMIT // 4, OTHER: other_sent - 1}  # the token's refresh is free
    assert ledger.spent == _client_spent(sb) == LIMIT - ledger.remaining
    assert "429" not in sb.counters.snapshot()["by_status"]

    # A day later the credits are back, for both.
    sb.advance(DAY)
    outcome, calls = _pull(sb, main, states["main"])
    assert outcome == "ok"
    ledger = read_ledger(shared / "credits.db", sb.client_id)
    assert ledger is not None and ledger.period == 2
    assert [(a.account, a.reads) for a in ledger.accounts] == [("main", calls - 1)]
    assert ledger.spent == _client_spent(sb) == LIMIT - ledger.remaining
    assert "429" not in sb.counters.snapshot()["by_status"]

    # `status` reads the ledger (and writes nothing to it).
    env = {**cli_env(tmp_path / "main", main.path),
           "STATE_DIRECTORY": f"{states['main']}:{shared}"}
    before = (shared / "credits.db").read_bytes()
    shown = run_cli(env, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    credits = json.loads(shown.stdout)["credits"]
    assert credits["remaining"] == LIMIT - (calls - 1) and credits["share"] == 0.25
    assert [(a["account"], a["reads"]) for a in credits["accounts"]] == [("main", calls - 1)]
    text = run_cli(env, "status")
    assert f"{LIMIT - (calls - 1)} of {LIMIT} daily credits left" in text.stdout
    assert f"main: {calls - 1} (each account's reads stop at {LIMIT // 4})" in text.stdout
    assert (shared / "credits.db").read_bytes() == before


# A process that books calls in the ledger as fast as it can once told to go.
_BOOKER = r"""
import json, sys
from imgur_sync.api import CreditLedger, RateLimited
book = CreditLedger(sys.argv[1], "client1", sys.argv[2], share=0.25, reserve=0)
print("ready", flush=True)
sys.stdin.readline()
booked = refused = 0
for _ in range(600):
    try:
        book.take(1, 1_800_000_000.0)
        booked += 1
    except RateLimited:
        refused += 1
print(json.dumps([booked, refused]), flush=True)
"""


def test_two_processes_booking_at_once_book_every_call_and_pass_no_share(
        tmp_path: Path) -> None:
    path = tmp_path / "credits.db"
    CreditLedger(path, "client1", "setup").settle(0, {
        "X-RateLimit-ClientLimit": "2000", "X-RateLimit-ClientRemaining": "2000",
        "X-RateLimit-ClientReset": "86400"}, 200, 1_800_000_000.0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [subprocess.Popen([sys.executable, "-c", _BOOKER, str(path), name], env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for name in ("alice", "bob")]
    try:
        for child in children:  # both started and holding the ledger open, then both go
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert results == [[500, 100], [500, 100]]
    ledger = read_ledger(path, "client1")
    assert ledger is not None and ledger.remaining == 1000
    assert {a.account: a.reads for a in ledger.accounts} == {"alice": 500, "bob": 500}
