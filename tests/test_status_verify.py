"""`status` and `verify` against the sandbox: in process, then the real commands."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from support import sandbox_config

from imgur_sync.account.tokens import TokenStore
from imgur_sync.api import Tokens, Transport
from imgur_sync.mirror import Mirror
from imgur_sync.mirror.verify import verify
from imgur_sync.paths import database_path
from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.settings.config import Config, load_config
from imgur_sync.status import MESSAGES_UNAVAILABLE, collect_status, render_status
from imgur_sync.store import RATE_LIMITS_SETTING, Store, rate_limits_setting
from imgur_sync.store.schema import iso

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Pulled:
    """A mirror made by one pull from the sandbox, with everything a test pokes at."""

    sb: Sandbox
    config: Config
    state: Path
    store: Store
    transport: Transport

    @property
    def root(self) -> Path:
        return self.config.mirror.root

    def files_of(self, image_id: str) -> dict[str, dict[str, Any]]:
        return {row["path"]: row for row in self.store.iter_files(image_id=image_id)}


def write_config(tmp_path: Path, sb: Sandbox, links: str = "hardlink") -> Path:
    return sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror", album_links=links)


@pytest.fixture
def make_mirror(start_sandbox: Callable[..., Sandbox],
                tmp_path: Path) -> Iterator[Callable[..., Pulled]]:
    stores: list[Store] = []

    def make(links: str = "hardlink", **sandbox_options: Any) -> Pulled:
        sb = start_sandbox("demo", options=SandboxOptions(**sandbox_options))
        config = load_config(write_config(tmp_path, sb, links))
        state = tmp_path / "state"
        state.mkdir()
        store = Store(database_path(state))
        stores.append(store)
        transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                              api_url=sb.url)
        result = Mirror(config, store, transport).pull()
        assert result.outcome == "ok", result.problems
        return Pulled(sb, config, state, store, transport)

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def pulled(make_mirror: Callable[..., Pulled]) -> Pulled:
    return make_mirror()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def owned_with_links(m: Pulled) -> dict[str, tuple[str, list[str]]]:
    """Return image id -> (canonical path, album links) for owned images in albums."""
    found = {}
    for image_id in sorted({row["image_id"] for row in m.store.iter_files("album")}):
        files = m.files_of(image_id)
        canonical = [p for p, r in files.items() if r["role"] == "image"]
        if canonical:
            found[image_id] = (canonical[0], sorted(p for p in files if p != canonical[0]))
    return found


def corrupt_in_place(path: Path) -> None:
    """Overwrite bytes without changing the size (hardlinks to it see the damage too)."""
    with path.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\xff" * 16)


# ---- verify ------------------------------------------------------------------------------


def test_verify_on_a_healthy_mirror_reports_nothing(pulled: Pulled) -> None:
    report = verify(pulled.root, pulled.store, repair=False)
    assert report.checked == len(list(pulled.store.iter_files())) > 30
    assert report.problems == [] and report.ok
    assert report.summary() == f"checked {report.checked} files: 0 missing, 0 corrupt"
    run = pulled.store.last_runs(1)[0]
    assert (run["kind"], run["outcome"]) == ("verify", "ok")
    assert run["counts"] == {"checked": report.checked, "missing": 0, "corrupt": 0,
                             "repaired": 0}


def test_verify_finds_and_repair_restores_corrupt_and_deleted_files(
        pulled: Pulled, http: requests.Session) -> None:
    images = owned_with_links(pulled)
    # One image loses its canonical file and a link but keeps another link: a good copy.
    deleted_id = next(i for i, (_, links) in images.items() if len(links) >= 2)
    deleted_path, (deleted_link, *_) = images[deleted_id]
    corrupt_id = next(i for i in images if i != deleted_id)
    corrupt_path, corrupt_links = images[corrupt_id]
    expected = {image_id: sha(http.get(pulled.store.get_image(image_id)["link"]).content)
                for image_id in (corrupt_id, deleted_id)}
    corrupt_in_place(pulled.root / corrupt_path)
    (pulled.root / deleted_path).unlink()
    (pulled.root / deleted_link).unlink()

    found = verify(pulled.root, pulled.store, repair=False)
    assert {p.path for p in found.missing} == {deleted_path, deleted_link}
    assert {p.path for p in found.corrupt} == {corrupt_path, *corrupt_links}
    assert not found.ok and pulled.store.last_runs(1)[0]["outcome"] == "partial"
    assert {f["item"] for f in pulled.store.open_failures() if f["kind"] == "verify"} == {
        p.path for p in found.problems}

    media_before = pulled.sb.counters.media_requests
    fixed = verify(pulled.root, pulled.store, repair=True, transport=pulled.transport)
    assert fixed.ok, [fixed.describe(p) for p in fixed.remaining]
    assert sorted(fixed.repaired) == sorted(p.path for p in found.problems)
    assert fixed.summary().endswith(f"; repaired {len(found.problems)}")
    # Only the corrupt image is downloaded: the deleted one still had a good album copy.
    assert pulled.sb.counters.media_requests == media_before + 1
    for image_id, paths in ((corrupt_id, [corrupt_path, *corrupt_links]),
                            (deleted_id, [deleted_path, deleted_link])):
        for path in paths:
            assert sha((pulled.root / path).read_bytes()) == expected[image_id], path
            assert pulled.store.file_for(path)["sha256"] == expected[image_id]
    # The album link is a hardlink to the canonical file again (config: album_links).
    assert os.path.samefile(pulled.root / deleted_path, pulled.root / deleted_link)
    assert os.path.samefile(pulled.root / corrupt_path, pulled.root / corrupt_links[0])
    assert not [f for f in pulled.store.open_failures() if f["kind"] == "verify"]
    assert not list(pulled.root.rglob(".imgur-sync-*"))
    assert verify(pulled.root, pulled.store, repair=False).problems == []


def test_repair_with_symlinks_downloads_the_original_and_mends_the_links(
        make_mirror: Callable[..., Pulled]) -> None:
    m = make_mirror(links="symlink")
    canonical, links = next(iter(owned_with_links(m).values()))
    assert all((m.root / link).is_symlink() for link in links)
    (m.root / canonical).unlink()
    found = verify(m.root, m.store, repair=False)
    assert {p.path for p in found.missing} == {canonical, *links}
    assert {p.reason for p in found.missing if p.path in links} == {
        "its link points to nothing"}
    fixed = verify(m.root, m.store, repair=True, transport=m.transport, links="symlink")
    assert fixed.ok and sorted(fixed.repaired) == sorted([canonical, *links])
    assert not (m.root / canonical).is_symlink()
    for link in links:
        assert (m.root / link).is_symlink()
        assert (m.root / link).resolve() == (m.root / canonical).resolve()


def test_repair_keeps_the_file_when_imgur_removed_the_media(pulled: Pulled) -> None:
    image_id, (canonical, _) = next(iter(owned_with_links(pulled).items()))
    corrupt_in_place(pulled.root / canonical)
    damaged = (pulled.root / canonical).read_bytes()
    pulled.sb.world.remove_media(image_id)

    report = verify(pulled.root, pulled.store, repair=True, transport=pulled.transport)
    assert not report.ok and report.media_removed == [image_id]
    assert "Imgur has removed this media" in report.unrepaired[canonical]
    assert (pulled.root / canonical).read_bytes() == damaged  # kept, not replaced
    assert pulled.store.get_image(image_id)["media_removed"] == 1
    reasons = {f["item"]: f["reason"] for f in pulled.store.open_failures()}
    assert "Imgur has removed this media" in reasons[canonical]
    assert not list(pulled.root.rglob(".imgur-sync-*"))


def test_repair_writes_a_damaged_transcript_again(pulled: Pulled) -> None:
    path = next(row["path"] for row in pulled.store.iter_files("message"))
    original = (pulled.root / path).read_text()
    (pulled.root / path).write_text("scribbled over")
    report = verify(pulled.root, pulled.store, repair=True, transport=pulled.transport)
    assert report.repaired == [path] and (pulled.root / path).read_text() == original


# ---- status ------------------------------------------------------------------------------


def test_status_before_any_pull_says_never_pulled(tmp_path: Path,
                                                 start_sandbox: Callable[..., Sandbox]) -> None:
    config = load_config(write_config(tmp_path, start_sandbox("demo")))
    status = collect_status(config, tmp_path / "state")
    assert status["pulled"] is False and status["counts"] is None
    assert status["messages"] == "not checked yet" and status["rate_limits"] == "unknown"
    assert not database_path(tmp_path / "state").exists()  # reading created nothing
    assert "never pulled" in render_status(status)


def test_status_shows_counts_runs_uploads_and_no_secret(pulled: Pulled) -> None:
    store, state = pulled.store, pulled.state
    upload = store.add_upload("/drop/cats/notes.txt", sha256="0" * 64, size=5, album_id=None,
                              marker="m1")
    store.mark_upload(upload, state="bad", error="Imgur refused the file: not an image")
    store.add_failure("download", "images/x.png", "the download kept failing (timeout)")
    tokens = pulled.transport.tokens
    TokenStore(state).save(Tokens(tokens.access_token, tokens.refresh_token, 1_900_000_000.0,
                                  pulled.sb.username, 42))

    status = collect_status(pulled.config, state)
    json.dumps(status)  # JSON-able as it is
    counts = store.counts()
    assert status["counts"]["albums"] == counts["albums"] == 4
    assert status["counts"]["images"] == counts["images"] > 0
    assert status["counts"]["files"] == counts["files"] > 0
    assert status["account"] == pulled.sb.username
    assert status["messages"] == "available"
    assert status["last_pull"]["kind"] == "quick" and status["last_pull"]["outcome"] == "ok"
    assert status["last_runs"][0]["requests"] > 0
    assert status["uploads"]["by_state"]["bad"] == 1
    assert status["uploads"]["problems"][0]["error"] == "Imgur refused the file: not an image"
    assert status["failures"][0]["reason"] == "the download kept failing (timeout)"
    assert status["token"]["expires_at_iso"] == "2030-03-17T17:46:40Z"
    # The pull records the last credits it saw, so status needs no request to show them.
    assert 0 < status["rate_limits"]["client_remaining"] < status["rate_limits"]["client_limit"]

    text = render_status(status)
    for needle in (pulled.sb.username, "Albums", "Local files", "quick ok", "available",
                   "Imgur refused the file: not an image", "not an image", "2030-03-17",
                   "the download kept failing", "Rate limits"):
        assert needle in text, needle
    block = text.split("\nCounts\n")[1].split("\n\n")[0].splitlines()
    assert block[0].split() == ["Albums", str(counts["albums"])]
    value_columns = {re.match(r"  \S.*?\s{2,}(?=\S)", line).end() for line in block}
    assert len(value_columns) == 1, block  # the values stand in one column
    both = text + json.dumps(status)
    for secret in (pulled.sb.client_secret, tokens.refresh_token, tokens.access_token):
        assert secret and secret not in both


def test_status_shows_recorded_rate_limit_credits(pulled: Pulled) -> None:
    limits = pulled.transport.limits
    assert limits.user_remaining is not None  # the sandbox sends the headers
    pulled.store.set_setting(RATE_LIMITS_SETTING,
                             rate_limits_setting(limits, 1_800_000_000.0) or "")
    status = collect_status(pulled.config, pulled.state)
    assert status["rate_limits"]["user_remaining"] == limits.user_remaining
    assert f"user {limits.user_remaining}/{limits.user_limit}" in render_status(status)
    # The sandbox sends X-RateLimit-ClientReset: when the daily credits come back is shown.
    assert limits.client_reset is not None
    assert f"application credits reset {iso(limits.client_reset)}" in render_status(status)


def test_status_shows_where_the_reconcile_cycle_is(pulled: Pulled) -> None:
    status = collect_status(pulled.config, pulled.state)
    cycle = status["reconcile"]  # the first pull read everything: a cycle began after it
    assert cycle is not None and cycle["images_page"] == 0 and cycle["albums_page"] == 0
    assert cycle["favorites_read"] is False
    text = render_status(status)
    assert "Reconcile" in text and f"begun {cycle['started_iso']}" in text
    assert f"by {cycle['due_iso']} ([schedule] reconcile_every)" in text
    assert cycle["due_iso"] > cycle["started_iso"]


def test_status_says_when_messages_are_unavailable(make_mirror: Callable[..., Pulled]) -> None:
    m = make_mirror(legacy_routes=False)
    status = collect_status(m.config, m.state)
    assert status["messages"] == MESSAGES_UNAVAILABLE
    assert MESSAGES_UNAVAILABLE in render_status(status)


# ---- the commands ------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, start_sandbox: Callable[..., Sandbox]) -> dict[str, str]:
    sb = start_sandbox("demo")
    config = write_config(tmp_path, sb)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.pop("STATE_DIRECTORY", None)
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), IMGUR_SYNC_CONFIG=str(config),
               PYTHONPATH=str(ROOT), SB_SECRET=sb.client_secret, SB_REFRESH=sb.refresh_token,
               SB_USER=sb.username)
    return env


def imgur_sync(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imgur_sync", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=90)


@pytest.mark.slow
def test_the_status_and_verify_commands(env: dict[str, str], tmp_path: Path) -> None:
    before = imgur_sync(env, "status")
    assert before.returncode == 0, before.stderr
    assert "never pulled" in before.stdout
    assert imgur_sync(env, "pull").returncode == 0

    shown = imgur_sync(env, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["pulled"] and status["counts"]["files"] > 30
    assert status["account"] == env["SB_USER"] and status["token"]["signed_in"]
    tokens = json.loads((tmp_path / "state" / "imgur-sync" / "tokens.json").read_text())
    for secret in (env["SB_SECRET"], env["SB_REFRESH"], tokens["refresh_token"],
                   tokens["access_token"]):
        assert secret not in shown.stdout + shown.stderr

    healthy = imgur_sync(env, "verify")
    assert healthy.returncode == 0, healthy.stderr
    assert f"checked {status['counts']['files']} files: 0 missing, 0 corrupt" in healthy.stdout

    victim = next(p for p in sorted((tmp_path / "mirror" / "images").iterdir())
                  if p.suffix != ".xmp")
    victim.unlink()
    sidecar = victim.with_name(victim.name + ".xmp")  # not recorded: repair writes it again
    sidecar.unlink()
    broken = imgur_sync(env, "verify")
    assert broken.returncode == 3
    assert "1 missing" in broken.stdout and victim.name in broken.stderr
    assert "verify --repair" in broken.stderr
    repaired = imgur_sync(env, "verify", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "repaired 1" in repaired.stdout and victim.is_file() and sidecar.is_file()
    assert imgur_sync(env, "verify").returncode == 0
    runs = json.loads(imgur_sync(env, "status", "--json").stdout)["last_runs"]
    assert [r["kind"] for r in runs[:4]] == ["verify"] * 4
