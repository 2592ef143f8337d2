"""A broken state, met by the real command: one sentence with the way out, never a traceback.

Each test breaks the state the way it breaks on a user's machine (another program holding the
database, garbage in the file, a full disk, an empty file, a file where the mirror should
be, a hand-edited token file) and runs ``python -m imgur_sync`` against the sandbox.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import sandbox_config, tmpfs

from imgur_sync.account.tokens import tokens_from_fields
from imgur_sync.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Account:
    """A sandbox account with a config, a state directory and the environment to use them."""

    sb: Sandbox
    config: Path
    mirror: Path
    state: Path  # the account's state directory (database, tokens, lock)
    env: dict[str, str]

    @property
    def db(self) -> Path:
        return self.state / "imgur-sync.db"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "imgur_sync", *args], capture_output=True,
                              text=True, env=self.env, cwd=ROOT, timeout=90)

    def pulled(self) -> Account:
        result = self.run("pull")
        assert result.returncode == 0, result.stderr
        return self


def account_in(sb: Sandbox, base: Path, state_home: Path) -> Account:
    config = sandbox_config(base / "config.toml", sb, base / "mirror")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(XDG_STATE_HOME=str(state_home), IMGUR_SYNC_CONFIG=str(config),
               PYTHONPATH=str(ROOT))
    return Account(sb, config, base / "mirror", state_home / "imgur-sync", env)


@pytest.fixture
def account(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Account:
    return account_in(start_sandbox("demo"), tmp_path, tmp_path / "state")


def one_error(result: subprocess.CompletedProcess[str], code: int, account: Account) -> str:
    """Assert the command failed with ``code`` and one ``Error:`` line; return that line."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output
    assert account.sb.client_secret not in output and account.sb.refresh_token not in output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# ---- the database ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_locked_database_names_the_file_and_says_to_try_again(account: Account) -> None:
    account.pulled()
    holder = sqlite3.connect(account.db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # an sqlite3 shell in the middle of a change, say
        error = one_error(account.run("pull"), 1, account)
    finally:
        holder.close()
    assert f"Another program holds the state database {account.db} locked" in error
    assert "stop it, then try again" in error
    assert account.run("pull").returncode == 0  # and trying again works once it let go


def _garbage(db: Path) -> None:
    db.write_bytes(b"this is not SQLite " * 400)


def _torn_pages(db: Path) -> None:
    data = bytearray(db.read_bytes())  # the header stays; the schema page behind it is gone
    data[100:4096] = b"\xff" * 3996
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _torn_pages], ids=["garbage", "torn_pages"])
def test_a_damaged_database_says_how_to_rebuild_it_and_the_rebuild_works(
        account: Account, damage: Callable[[Path], None]) -> None:
    account.pulled()
    damage(account.db)
    for command in ("pull", "status"):
        error = one_error(account.run(command), 1, account)
        assert f"The state database {account.db} is damaged" in error
        assert "move it and its -wal and -shm files out of" in error
        assert "run `imgur-sync pull`, which rebuilds it" in error
    aside = account.state / "damaged"  # what the message says to do
    aside.mkdir()
    for file in account.state.glob("imgur-sync.db*"):
        file.rename(aside / file.name)
    rebuilt = account.run("pull")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0 bytes downloaded" in rebuilt.stdout  # the files already in the mirror are reused


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted at a new folder (needs the right to mount: root)."""
    with tmpfs(tmp_path / "small-disk", "size=4m") as disk:
        yield disk


def fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as exc:
        assert exc.strerror == "No space left on device"
    finally:
        os.close(fd)


def test_a_full_disk_under_the_database_says_so(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path, small_disk: Path) -> None:
    account = account_in(start_sandbox("demo"), tmp_path, small_disk).pulled()
    fill(small_disk)
    for command in ("pull", "status"):
        error = one_error(account.run(command), 1, account)
        assert error == (f"Error: The disk holding the state database {account.db} is full: "
                         "free some space on it, then try again")
    (small_disk / "filler").unlink()
    assert account.run("pull").returncode == 0


def test_an_empty_database_file_is_a_new_database(account: Account) -> None:
    account.state.mkdir(parents=True)
    account.db.touch()  # what a crash right after creating the file leaves
    status = account.run("status")
    assert status.returncode == 0, status.stderr
    assert "never pulled: run `imgur-sync pull`" in status.stdout
    account.pulled()
    status = account.run("status")
    assert status.returncode == 0 and "Images owned" in status.stdout


def test_an_unexpected_error_is_one_sentence_and_v_shows_the_traceback(
        account: Account) -> None:
    account.pulled()
    with sqlite3.connect(account.db) as db:  # a hand edit no version of imgur-sync makes
        db.execute("UPDATE runs SET counts = '{not json'")
    db.close()
    error = one_error(account.run("status"), 1, account)
    assert error.startswith("Error: imgur-sync stopped on an unexpected error (JSONDecodeError")
    assert "run the command again with -v to see the details" in error
    verbose = account.run("-v", "status")
    assert verbose.returncode == 1
    assert "Traceback (most recent call last)" in verbose.stderr
    assert "json.decoder.JSONDecodeError" in verbose.stderr
    assert account.sb.refresh_token not in verbose.stderr + verbose.stdout


def test_the_state_database_and_its_folder_are_private(account: Account) -> None:
    account.pulled()
    assert stat.S_IMODE(account.state.stat().st_mode) == 0o700
    assert stat.S_IMODE(account.db.stat().st_mode) == 0o600
    reader = sqlite3.connect(account.db)  # keeps -wal and -shm after the next pull exits
    try:
        reader.execute("SELECT count(*) FROM images").fetchone()
        account.pulled()
        for suffix in ("", "-wal", "-shm"):
            assert stat.S_IMODE(Path(f"{account.db}{suffix}").stat().st_mode) == 0o600, suffix
    finally:
        reader.close()


def test_a_database_readable_by_others_is_made_private(account: Account) -> None:
    account.pulled()
    account.db.chmod(0o644)  # as an older imgur-sync created it
    first = account.run("pull")
    assert f"{account.db} was readable by others; made it private (mode 0600)" in first.stderr
    assert stat.S_IMODE(account.db.stat().st_mode) == 0o600
    assert "readable by others" not in account.run("pull").stderr  # said when it was changed


# ---- the mirror root and the token file -----------------------------------------------------


@pytest.mark.parametrize("under", [False, True], ids=["is_a_file", "under_a_file"])
def test_a_mirror_root_that_is_a_file_is_a_config_error(account: Account, under: bool) -> None:
    account.mirror.write_text("not a folder")
    if under:
        config = account.config.read_text().replace(f'root = "{account.mirror}"',
                                                    f'root = "{account.mirror / "sub"}"')
        account.config.write_text(config)
    error = one_error(account.run("pull"), 2, account)
    root = account.mirror / "sub" if under else account.mirror
    what = f"lies under {account.mirror}, which is a file" if under else "is a file"
    assert error == f"Error: {account.config}: 1 problem in the imgur-sync config"
    assert (f"{account.config}: mirror.root: {root} {what}. Fix: point mirror.root at a folder "
            "this user may write") in account.run("pull").stderr


@pytest.mark.parametrize("expires_at", ["soon", 1e300], ids=str)
def test_a_token_file_with_a_bad_expiry_is_refreshed_not_a_traceback(
        account: Account, expires_at: object) -> None:
    account.state.mkdir(parents=True)
    tokens = account.state / "tokens.json"
    tokens.write_text(json.dumps({"access_token": "0" * 40, "expires_at": expires_at,
                                  "refresh_token": account.sb.refresh_token}))
    tokens.chmod(0o600)
    for command in (["status"], ["auth", "--status"]):
        result = account.run(*command)
        assert result.returncode == 0, result.stderr
        assert "expiry unknown" in result.stdout
        assert "expires_at is not a time" in result.stderr and "Traceback" not in result.stderr
    pull = account.run("pull")  # Imgur refuses the made-up access token; the refresh mends it
    assert pull.returncode == 0, pull.stderr
    assert isinstance(json.loads(tokens.read_text())["expires_at"], float)


def test_a_token_file_with_a_damaged_token_says_to_sign_in_again(account: Account) -> None:
    account.state.mkdir(parents=True)
    tokens = account.state / "tokens.json"
    tokens.write_text(json.dumps({"access_token": ["x"], "refresh_token": None}))
    tokens.chmod(0o600)
    error = one_error(account.run("pull"), 1, account)
    assert error == (f"Error: The token file {tokens} is damaged (access_token is not text); "
                     "sign in again with `imgur-sync auth`")


@pytest.mark.parametrize(("expires_in", "expires_at"),
                         [("3600", 1_003_600.0), (3600, 1_003_600.0), ("soon", None),
                          (1e300, None), ("nan", None), ("", None), (None, None)])
def test_an_expires_in_that_is_not_seconds_gives_an_unknown_expiry(
        expires_in: object, expires_at: float | None) -> None:
    tokens = tokens_from_fields({"access_token": "a", "expires_in": expires_in}, 1_000_000.0)
    assert tokens.expires_at == expires_at and tokens.access_token == "a"
