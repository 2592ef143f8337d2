"""One state directory, one account: two accounts' mirrors must never merge."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import sandbox_config

from imgur_sync.account.checks import AccountMismatch
from imgur_sync.api import Transport
from imgur_sync.mirror import Mirror
from imgur_sync.paths import database_path
from imgur_sync.sandbox import Sandbox
from imgur_sync.settings.config import load_config
from imgur_sync.store import Store

ROOT = Path(__file__).resolve().parents[1]


def test_a_pull_for_another_account_stops_before_saving(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    config = load_config(sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror"))
    state = tmp_path / "state"
    state.mkdir()
    with Store(database_path(state)) as store:
        transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                              api_url=sb.url)
        Mirror(config, store, transport).pull()
        assert store.get_setting("account_username") == sb.username
        store.set_setting("account_username", "SomebodyElse")  # as if another account's state
        runs, images = len(store.last_runs(50)), store.counts()["images"]
        fresh = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                          api_url=sb.url)  # knows no account name until Imgur says it
        with pytest.raises(AccountMismatch, match=r"SomebodyElse.*own state directory"):
            Mirror(config, store, fresh).pull()
        assert len(store.last_runs(50)) == runs and store.counts()["images"] == images


def test_signing_in_as_another_account_is_refused(start_sandbox: Callable[..., Sandbox],
                                                  tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    config = sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror")
    state = tmp_path / "state" / "imgur-sync"
    state.mkdir(parents=True)
    with Store(database_path(state)) as store:
        store.set_setting("account_username", "SomebodyElse")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), IMGUR_SYNC_CONFIG=str(config),
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "imgur_sync", "auth", "--refresh-token",
                             "-"], input=sb.refresh_token + "\n", capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 2 and "SomebodyElse" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state / "tokens.json").exists()


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imgur_sync", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("command", ["pull", "run"])
def test_working_on_the_account_without_signing_in_says_how(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path, command: str) -> None:
    sb = start_sandbox("demo")
    config = tmp_path / "config.toml"
    config.write_text(f'[imgur]\nclient_id = "{sb.client_id}"\n'
                      f'client_secret = "{sb.client_secret}"\napi_url = "{sb.url}"\n'
                      f'[mirror]\nroot = "{tmp_path / "mirror"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), IMGUR_SYNC_CONFIG=str(config),
               PYTHONPATH=str(ROOT))
    result = _run([command], env)
    assert result.returncode == 2 and "imgur-sync auth" in result.stderr
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr
    assert sb.counters.requests == 0  # refused before asking Imgur anything


def test_a_refused_refresh_token_stops_the_pull_with_one_message(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    config = sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror")
    config.write_text(config.read_text().replace(sb.refresh_token, "0" * 40))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), IMGUR_SYNC_CONFIG=str(config),
               PYTHONPATH=str(ROOT))
    result = _run(["pull"], env)
    assert result.returncode == 1 and "sign in again with `imgur-sync auth`" in result.stderr
    assert "listing" not in result.stderr and "Traceback" not in result.stderr
