"""The pull against a real sandbox over HTTP: the tree it builds, what it costs, what it keeps.

docs/ARCHITECTURE.md §Folder tree and §Pull. Every check compares the tree with the
sandbox's world; the shared invariants live in ``pull_support``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pull_support import (
    ROOT,
    check_tree,
    dump_database,
    id_of,
    minimum_requests,
    minimum_web_requests,
    sha256,
    snapshot_tree,
    write_config,
)
from support import sandbox_config

from imgur_sync.api import Tokens, Transport, TransportError
from imgur_sync.mirror import Mirror, PullResult
from imgur_sync.mirror.apply import MediaHostDown
from imgur_sync.paths import database_path
from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions
from imgur_sync.sandbox.faults import KINDS
from imgur_sync.sandbox.media import REMOVED_PNG, render_tiny_png
from imgur_sync.settings.config import Config, load_config
from imgur_sync.store import Store
from imgur_sync.workspace import Workspace


@dataclass
class Rig:
    """A sandbox, a config for it, a store and one transport: pull as often as needed."""

    sb: Sandbox
    config: Config
    store: Store
    transport: Transport
    db: Path

    @property
    def root(self) -> Path:
        return self.config.mirror.root

    def pull(self, **kwargs: Any) -> PullResult:
        return Mirror(self.config, self.store, self.transport).pull(**kwargs)

    def check(self, **kwargs: Any) -> list[str]:
        return check_tree(self.root, self.store, self.sb.world, self.sb.username,
                          links=self.config.mirror.album_links, **kwargs)

    def files_of(self, image_id: str, under: str = "") -> list[Path]:
        """Return the files of an image anywhere under ``root/under``."""
        return sorted(p for p in (self.root / under).rglob("*")
                      if p.is_file() and id_of(p.name) == image_id)

    def album_dir(self, album_id: str) -> Path:
        [folder] = (self.root / "albums").glob(f"*[[]{album_id}[]]")
        return folder


def make_rig(sb: Sandbox, folder: Path, *, sleep: Callable[[float], None] | None = None,
             media_origins: tuple[str, ...] = (), road: str = "oauth",
             **mirror: str | int) -> Rig:
    """A rig signed in by OAuth token, or (``road="cookie"``) by the browser's cookie."""
    config = load_config(write_config(folder, sb, **mirror))
    db = folder / "state.db"
    transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                          api_url=sb.url, media_origins=media_origins,
                          **({"sleep": sleep} if sleep else {}))
    if road == "cookie":
        transport.set_tokens(Tokens(access_token=sb.cookie_token, account_username=sb.username,
                                    kind="cookie"), notify=False)
    return Rig(sb, config, Store(db), transport, db)


#: How the account is signed in: an OAuth token reads /3/, the browser's cookie the web API.
ROADS = ["oauth", "cookie"]


@pytest.fixture
def rig(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Return ``rig(scenario, sandbox options…, mirror options…)``; stores close after."""
    rigs: list[Rig] = []

    def make(scenario: str = "demo", *, options: SandboxOptions | None = None,
             faults: FaultPlan | None = None, sleep: Callable[[float], None] | None = None,
             media_origins: tuple[str, ...] = (), road: str = "oauth",
             **mirror: str | int) -> Rig:
        if road == "cookie" and options is None:  # taken as Bearer: the whole tree can be had
            options = SandboxOptions(cookie_bearer="accept")
        sb = start_sandbox(scenario, options=options, faults=faults)
        rigs.append(make_rig(sb, tmp_path, sleep=sleep, media_origins=media_origins, road=road,
                             **mirror))
        return rigs[-1]

    yield make
    for made in rigs:
        made.store.close()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The big account (scale 1), pulled once cold; tests on it must not change the world."""
    with Sandbox("big", scale=1) as sb:
        made = make_rig(sb, tmp_path_factory.mktemp("big"))
        result = made.pull()
        assert result.outcome == "ok", result.problems
        yield made
        made.store.close()


def _image(sb: Sandbox, title: str) -> str:
    return next(i.id for i in sb.world.images.values() if i.title == title)


def _album(sb: Sandbox, title: str) -> str:
    return next(a.id for a in sb.world.albums.values() if a.title == title)


def mutate(sb: Sandbox) -> dict[str, str]:
    """Change the demo account in every way §3.1 names; return the ids involved."""
    world, me = sb.world, sb.username
    ids = {"new": world.add_image(me, "Fresh upload", media_kind="stored",
                                  data=render_tiny_png(424242)).id,
           "retitled": _image(sb, "Kitten in a teacup"), "moved": _image(sb, "Old tram"),
           "deleted": _image(sb, "Pastel de nata"), "gone_album": _album(sb, "Favourites of 2025"),
           "from": _album(sb, "Holiday 2025"), "to": _album(sb, "Screenshots"),
           "favorite": _image(sb, "3am thoughts")}
    world.retitle_image(ids["retitled"], "Kitten, renamed")
    world.move_image(ids["moved"], ids["from"], ids["to"])
    world.delete_image(ids["deleted"])
    world.delete_album(ids["gone_album"])
    world.favorite(me, ids["favorite"])
    world.add_message("nightowl", me, "A brand new conversation")
    world.add_message("catlover", me, "One more thing about the judge")
    return ids


# -- 1. the tree of a cold pull ------------------------------------------------------------


@pytest.mark.parametrize("road", ROADS)
@pytest.mark.parametrize("scenario", ["demo", "hostile"])
def test_cold_pull_mirrors_the_whole_account(rig: Callable[..., Rig], scenario: str,
                                             road: str) -> None:
    made = rig(scenario, road=road)
    result = made.pull()
    assert result.outcome == "ok", result.problems
    assert made.check() == []


@pytest.mark.slow
def test_cold_pull_mirrors_the_big_account(big: Rig) -> None:
    assert big.check() == []
    owned = big.sb.world.images_of(big.sb.username)
    media = [p for p in (big.root / "images").iterdir() if p.suffix != ".xmp"]
    assert len(media) == len(owned) == 1000


@pytest.mark.parametrize("links", ["hardlink", "symlink", "copy"])
def test_album_members_refer_to_the_one_stored_copy(rig: Callable[..., Rig], links: str) -> None:
    made = rig("demo", album_links=links)
    assert made.pull().outcome == "ok"
    assert made.check() == []
    judge = _image(made.sb, "The judge")  # in two albums: one stored copy, two album entries
    [canonical] = made.files_of(judge, "images")
    members = made.files_of(judge, "albums")
    assert len(members) == 2
    for member in members:
        assert member.read_bytes() == canonical.read_bytes()
        assert member.is_symlink() == (links == "symlink")
        same_inode = os.stat(member).st_ino == canonical.stat().st_ino
        assert same_inode == (links != "copy")


@pytest.mark.parametrize("links", ["hardlink", "symlink", "copy"])
def test_links_made_but_not_recorded_are_made_again_cleanly(rig: Callable[..., Rig],
                                                             links: str) -> None:
    # A crash between making album links and recording them: the next pull links again
    # over files that already are those links (for hard links, rename is then a no-op).
    made = rig("demo", album_links=links)
    assert made.pull().outcome == "ok"
    members = [p for p in (made.root / "albums").rglob("*")
               if p.is_file() and p.name != "album.json"]
    assert members
    for member in members:
        made.store.forget_file(str(member.relative_to(made.root)))
    again = made.pull(full=True)
    assert again.outcome == "ok" and again.applied.done.get("link") == len(members)
    assert made.check() == []  # includes: no temporary file left anywhere


# -- 2, 4. what pulls cost ----------------------------------------------------------------------


@pytest.mark.slow
def test_quick_pull_of_an_unchanged_account_costs_few_requests(big: Rig) -> None:
    before, media = big.sb.counters.requests, big.sb.counters.media_requests
    result = big.pull()
    assert result.outcome == "ok" and result.planned == {}
    assert result.requests <= 15
    assert result.requests == big.sb.counters.requests - before
    assert big.sb.counters.media_requests == media


def _assert_full_pull_near_minimum(made: Rig, minimum: int | None = None) -> None:
    minimum = minimum_requests(made.sb) if minimum is None else minimum
    before = made.sb.counters.requests
    result = made.pull(full=True)
    assert result.outcome == "ok" and result.planned == {}
    assert result.requests == made.sb.counters.requests - before
    assert minimum <= result.requests <= 1.1 * minimum, (result.requests, minimum)


@pytest.mark.slow
def test_full_pull_of_the_big_account_costs_near_the_minimum(big: Rig) -> None:
    _assert_full_pull_near_minimum(big)


@pytest.mark.parametrize("scenario", ["demo", "hostile"])
def test_full_pull_costs_near_the_minimum(rig: Callable[..., Rig], scenario: str) -> None:
    made = rig(scenario, options=SandboxOptions(page_size=5, favorites_page_size=2))
    assert made.pull().outcome == "ok"
    _assert_full_pull_near_minimum(made)


# -- 3. changes upstream -----------------------------------------------------------------------


def test_quick_then_full_pull_follow_every_change(rig: Callable[..., Rig]) -> None:
    made = rig("demo", options=SandboxOptions(page_size=5, favorites_page_size=3))
    assert made.pull().outcome == "ok"
    sb = made.sb
    [kitten] = made.files_of(_image(sb, "Kitten in a teacup"), "images")
    inode = kitten.stat().st_ino
    [pastel] = made.files_of(_image(sb, "Pastel de nata"), "images")
    kept = sorted(p for p in made.album_dir(_album(sb, "Favourites of 2025")).iterdir()
                  if p.name != "album.json")
    ids = mutate(sb)

    quick = made.pull()
    assert quick.outcome == "ok", quick.problems
    assert len(made.files_of(ids["new"], "images")) == 1
    assert len(made.files_of(ids["favorite"], "favorites")) == 1
    text = "".join(p.read_text() for p in (made.root / "messages").iterdir())
    assert "A brand new conversation" in text and "One more thing about the judge" in text

    media = sb.counters.media_requests
    full = made.pull(full=True)
    assert full.outcome == "ok", full.problems
    assert made.check() == []
    assert sb.counters.media_requests == media  # retitles and moves download nothing
    assert sb.counters.media_by_image[ids["retitled"]] == 1
    [renamed] = made.files_of(ids["retitled"], "images")
    assert renamed.name.startswith("Kitten, renamed [") and renamed.stat().st_ino == inode
    moved = {p.parent: p.name for p in made.files_of(ids["moved"], "albums")}
    assert made.album_dir(ids["from"]) not in moved
    assert moved[made.album_dir(ids["to"])].startswith("003 Old tram [")
    assert pastel.is_file() and len(kept) == 2 and all(p.is_file() for p in kept)
    assert made.store.get_image(ids["deleted"])["removed_at"] is not None
    assert made.store.get_album(ids["gone_album"])["removed_at"] is not None
    assert quick.removed + full.removed == 2  # the quick pull's reconcile slice may find them


def test_remote_deletions_move_to_trash_when_asked(rig: Callable[..., Rig]) -> None:
    made = rig("demo", on_remote_delete="trash")
    assert made.pull().outcome == "ok"
    sb = made.sb
    deleted, album = _image(sb, "Pastel de nata"), _album(sb, "Favourites of 2025")
    [pastel] = made.files_of(deleted, "images")
    digest = sha256(pastel)
    folder = made.album_dir(album)
    members = sorted(p.name for p in folder.iterdir())
    sb.world.delete_image(deleted)
    sb.world.delete_album(album)

    result = made.pull(full=True)
    assert result.outcome == "ok", result.problems
    assert not pastel.exists() and not folder.exists()
    trash = made.root / ".trash"
    assert sha256(trash / pastel.relative_to(made.root)) == digest
    assert sorted(p.name for p in (trash / folder.relative_to(made.root)).iterdir()) == members
    assert made.store.get_image(deleted)["removed_at"] is not None
    assert made.store.get_album(album)["removed_at"] is not None
    assert made.check() == []


def test_favoriting_an_image_already_in_a_favorited_album_stores_it_once(
        rig: Callable[..., Rig]) -> None:
    made = rig("demo")
    assert made.pull().outcome == "ok"
    image = made.sb.world.albums[_album(made.sb, "Road trip, in order")].image_ids[1]
    made.sb.world.favorite(made.sb.username, image)
    assert made.pull().outcome == "ok"
    assert made.check() == []
    assert made.sb.counters.media_by_image[image] == 1


# -- 3b. the browser's cookie: the web API's road ----------------------------------------------


def _refusing_bearer(rig: Callable[..., Rig], scenario: str = "demo", **options: Any) -> Rig:
    """A rig signed in by cookie on the 2026 sandbox: OAuth broken, the cookie no Bearer."""
    return rig(scenario, road="cookie", options=SandboxOptions(
        oauth_authorize="broken", cookie_bearer="refuse", **options))


def test_cookie_pull_mirrors_every_post_and_says_what_it_cannot(rig: Callable[..., Rig]) -> None:
    made = _refusing_bearer(rig)
    result = made.pull()
    assert result.outcome == "ok", result.problems
    assert set(result.unavailable) == {"favorites", "messages"}
    assert "need an OAuth token" in result.unavailable["favorites"]
    # Own posts (the hidden album too) and the public gallery favorites are all there;
    # only hidden favorites and messages are missing, as said.
    assert made.check(unmirrored=result.unavailable) == []
    hidden = [a for a in made.sb.world.albums_of(made.sb.username) if a.privacy == "hidden"]
    assert hidden and all(made.album_dir(a.id).is_dir() for a in hidden)
    for image in made.sb.world.images_of(made.sb.username):
        row = made.store.get_image(image.id)
        assert (row["title"], row["description"]) == (image.title, image.description)
    gallery = made.sb.world.favorites_of(made.sb.username, gallery_only=True)
    assert {r["item_id"] for r in made.store.iter_favorites(True)} == {i.id for i in gallery}


@pytest.mark.slow
def test_cookie_pulls_cost_few_requests_quick_and_near_the_minimum_full(
        rig: Callable[..., Rig]) -> None:
    made = _refusing_bearer(rig, "big")
    assert made.pull().outcome == "ok"
    before, media = made.sb.counters.requests, made.sb.counters.media_requests
    quick = made.pull()
    assert quick.outcome == "ok" and quick.planned == {}
    assert quick.requests == made.sb.counters.requests - before <= 15
    assert made.sb.counters.media_requests == media
    _assert_full_pull_near_minimum(made, minimum_web_requests(made.sb))


def test_cookie_pulls_follow_new_posts_and_confirm_deletions(rig: Callable[..., Rig]) -> None:
    made = _refusing_bearer(rig, web_page_size=3)
    assert made.pull().outcome == "ok"
    sb, me = made.sb, made.sb.username
    fresh = sb.world.add_image(me, "Fresh upload", media_kind="stored",
                               data=render_tiny_png(424242))
    secret = sb.world.add_image(me, "Secret one", media_kind="stored",
                                data=render_tiny_png(434343))
    hidden = sb.world.add_album(me, "New hidden album", [secret.id], privacy="hidden")
    deleted, gone_album = _image(sb, "Bike ride"), _album(sb, "Screenshots")
    sb.world.delete_image(deleted)
    sb.world.delete_album(gone_album)

    quick = made.pull()
    assert quick.outcome == "ok", quick.problems
    assert len(made.files_of(fresh.id, "images")) == 1
    assert len(made.files_of(secret.id, "albums")) == 1
    assert made.album_dir(hidden.id).name.startswith("New hidden album")
    assert made.store.get_image(deleted)["removed_at"] is None  # a quick pull removes nothing

    full = made.pull(full=True)
    assert full.outcome == "ok", full.problems
    assert full.removed == 2
    assert made.store.get_image(deleted)["removed_at"] is not None
    assert made.store.get_album(gone_album)["removed_at"] is not None
    assert made.files_of(deleted, "images")  # the copy is kept


def test_an_album_post_listed_with_fewer_media_than_it_counts_is_fetched_whole(
        rig: Callable[..., Rig]) -> None:
    # One album at a time, so the count below is exact.
    made = rig("demo", road="cookie", concurrency=1, options=SandboxOptions(
        oauth_authorize="broken", web_listing_media=2))
    result = made.pull()
    assert result.outcome == "ok", result.problems
    assert made.check(unmirrored=result.unavailable) == []
    longer = [a for a in made.sb.world.albums_of(made.sb.username) if len(a.image_ids) > 2]
    favorited = [i for i in made.sb.world.favorites_of(made.sb.username, gallery_only=True)
                 if hasattr(i, "image_ids")]
    fetched = made.sb.counters.by_route["GET /3/album/<album_id>/images"]
    # Each long album once, the favorited albums, and the one try of the cookie as Bearer.
    assert longer and fetched == len(longer) + len(favorited) + 1


def test_either_body_shape_is_read_and_a_failed_listing_removes_nothing(
        rig: Callable[..., Rig]) -> None:
    made = _refusing_bearer(rig, web_page_size=3)
    made.transport.sleep = lambda seconds: None
    assert made.pull().outcome == "ok"
    made.sb.options.web_flip_bodies = True  # bare lists become {"data": [...]} and back
    again = made.pull(full=True)
    assert again.outcome == "ok" and again.planned == {} and again.removed == 0
    bike = _image(made.sb, "Bike ride")
    made.sb.world.delete_image(bike)
    made.sb.set_faults(FaultPlan(rates={"server_error": 1.0}))
    failed = made.pull(full=True)
    assert failed.outcome == "partial" and failed.removed == 0
    assert any("listing images" in problem for problem in failed.problems), failed.problems
    assert made.store.get_image(bike)["removed_at"] is None
    assert made.files_of(bike, "images")


# -- 5. faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize("road", ROADS)
@pytest.mark.parametrize("scenario", ["demo", "hostile",
                                      pytest.param("big", marks=pytest.mark.slow)])
def test_cold_pull_under_every_fault_completes_the_tree(rig: Callable[..., Rig],
                                                        scenario: str, road: str) -> None:
    # The sleeps do not wait, so the 429s that say the credits are spent reset at once.
    faults = FaultPlan(rates=dict.fromkeys(KINDS, 0.1), seed=7, slow_seconds=0.01,
                       client_reset=0)
    made = rig(scenario, faults=faults, sleep=lambda seconds: None, road=road)
    result = made.pull()
    struck = set(made.sb.counters.faults)
    if result.outcome != "ok":  # a run of faults outlasted one call's ten tries: once the
        # faults pass, the next pull completes what failed. (Which call a fault strikes
        # depends on the threads' order, so a second faulted pull could fail again.)
        made.sb.app.faults = FaultPlan()
        result = made.pull()
    assert result.outcome == "ok", result.problems
    assert made.check() == []
    # Every kind struck at least once, except the refusal of library User-Agents: the pull
    # sends a browser's, so the media host never had a reason to refuse it; and the cookie
    # is no OAuth token, so it has no expiry to strike.
    spared = {"library_agent"} | ({"token_expiry"} if road == "cookie" else set())
    assert struck == set(KINDS) - spared


def test_imgur_not_answering_stops_the_pull_after_one_calls_retries(
        demo: Sandbox, tmp_path: Path, refusing_url: str) -> None:
    config = load_config(sandbox_config(tmp_path / "config.toml", demo, tmp_path / "mirror",
                                        api_url=refusing_url))
    sleeps: list[float] = []
    transport = Transport(demo.client_id, demo.client_secret, refresh_token=demo.refresh_token,
                          api_url=refusing_url, sleep=sleeps.append)
    with Store(tmp_path / "state.db") as store:
        with pytest.raises(TransportError, match=r"the connection was refused .*the pull "
                                                 r"stopped after 10 tries\. Check the "
                                                 r"network"):
            Mirror(config, store, transport).pull()
        # One call's backoff, not one per section: five sections would wait five times.
        assert len(sleeps) == transport.retry.attempts - 1
        [run] = store.last_runs(5)
        assert run["outcome"] == "failed" and "pull stopped" in run["error"]
        assert store.open_failures() == []  # no failure per section either


@pytest.mark.slow
def test_a_media_host_that_does_not_answer_stops_the_downloads_soon(
        rig: Callable[..., Rig], refusing_url: str) -> None:
    sleeps: list[float] = []
    # i.imgur.com's stand-in is down while the API answers.
    made = rig("big", options=SandboxOptions(media_url=refusing_url), sleep=sleeps.append,
               media_origins=(refusing_url,), concurrency=2)
    with pytest.raises(MediaHostDown, match=r"3 downloads in a row got no answer \(No "
                                            r"answer from the media host: the connection "
                                            r"was refused"):
        made.pull()
    # Each unanswered download spent one retry budget: three in a row (and what the other
    # worker had in flight), not one per image of the account's 1 290.
    per_download = made.transport.retry.attempts - 1
    assert 3 * per_download <= len(sleeps) <= (3 + 2) * per_download
    assert made.store.last_runs(1)[0]["outcome"] == "failed"
    # Media served again (here by the sandbox itself, so a full pull re-reads the links that
    # named the stand-in): nothing was lost, the next pull completes the tree.
    made.sb.options.media_url = None
    assert made.pull(full=True).outcome == "ok" and made.check() == []


# -- 6. removed media --------------------------------------------------------------------------


def test_removed_media_is_never_saved(rig: Callable[..., Rig]) -> None:
    made = rig("demo")
    removed = _image(made.sb, "Cat vs. box")
    made.sb.world.remove_media(removed)
    made.pull()  # its outcome: see test_removed_media_does_not_fail_every_later_pull
    assert made.files_of(removed) == []
    assert not [p for p in made.root.rglob("*") if p.is_file() and p.read_bytes() == REMOVED_PNG]
    assert made.store.get_image(removed)["media_removed"] == 1
    assert made.check(skip=[removed]) == []


def test_media_removed_after_saving_keeps_the_good_copy(rig: Callable[..., Rig]) -> None:
    made = rig("demo")
    assert made.pull().outcome == "ok"
    image = _image(made.sb, "Cat vs. box")
    copies = {path: sha256(path) for path in made.files_of(image)}
    made.sb.world.remove_media(image)
    assert made.pull(full=True).outcome == "ok"
    assert {path: sha256(path) for path in made.files_of(image)} == copies
    assert made.check() == []


def test_removed_media_does_not_fail_every_later_pull(rig: Callable[..., Rig]) -> None:
    made = rig("demo")
    made.sb.world.remove_media(_image(made.sb, "Cat vs. box"))
    made.pull()
    asked = made.sb.counters.media_requests
    result = made.pull()
    assert result.outcome == "ok", result.problems
    assert made.sb.counters.media_requests == asked


# -- 6b. quick pulls plan what changed ----------------------------------------------------------


def test_a_quick_pull_plans_only_what_changed(rig: Callable[..., Rig]) -> None:
    made = rig("demo")
    assert made.pull().outcome == "ok"
    unchanged = made.pull()
    assert unchanged.outcome == "ok" and unchanged.planned == {}
    assert unchanged.images_planned == 0 and made.store.count_changed() == 0
    kitten = _image(made.sb, "Kitten in a teacup")
    files = made.files_of(kitten)
    inodes = {p.stat().st_ino for p in files}
    others = {p: p.stat().st_ino for p in made.root.rglob("*")  # every other media file
              if p.is_file() and p.suffix in (".png", ".jpg", ".gif", ".mp4")
              and id_of(p.name) != kitten}
    made.sb.world.retitle_image(kitten, "Kitten, renamed")
    result = made.pull()
    assert result.outcome == "ok", result.problems
    assert result.planned == {"rename": len(files)}  # its file and its album links, no more
    assert result.images_planned == 1 and others
    renamed = made.files_of(kitten)
    assert all("Kitten, renamed [" in p.name for p in renamed)
    assert {p.stat().st_ino for p in renamed if p.suffix != ".xmp"} == inodes
    assert {p: p.stat().st_ino for p in others} == others  # the rest untouched
    assert made.pull().planned == {} and made.check() == []


def test_a_failed_download_is_planned_again_by_the_next_quick_pull(
        rig: Callable[..., Rig]) -> None:
    made = rig("demo", sleep=lambda seconds: None)
    assert made.pull().outcome == "ok"
    fresh = made.sb.world.add_image(made.sb.username, "Fresh upload", media_kind="stored",
                                    data=render_tiny_png(424242)).id
    made.sb.set_faults(FaultPlan(rates={"truncated_media": 1.0}))
    failed = made.pull()
    assert failed.outcome == "partial" and failed.planned == {"download": 1}
    assert failed.images_planned == 1
    assert made.files_of(fresh) == [] and made.store.count_changed() == 1
    made.sb.set_faults(FaultPlan())
    retried = made.pull()  # nothing changed upstream: the mark alone plans it again
    assert retried.outcome == "ok", retried.problems
    assert retried.planned == {"download": 1} and retried.applied.done == {"download": 1}
    assert [p.name for p in made.files_of(fresh, "images") if p.suffix != ".xmp"] == [
        f"Fresh upload [{fresh}].png"]
    assert made.pull().planned == {} and made.check() == []


# -- 7. dry run ---------------------------------------------------------------------------------


@pytest.mark.parametrize("full", [False, True])
def test_dry_run_changes_nothing_and_lists_the_plan(rig: Callable[..., Rig], full: bool) -> None:
    made = rig("demo")
    assert made.pull().outcome == "ok"
    ids = mutate(made.sb)
    tree, database = snapshot_tree(made.root), dump_database(made.db)
    result = made.pull(full=full, dry_run=True)
    assert snapshot_tree(made.root) == tree
    assert dump_database(made.db) == database
    planned = [action.describe() for action in result.actions]
    assert any(line.startswith("download") and f"[{ids['new']}]" in line for line in planned)
    assert any(line.startswith("write") and "nightowl" in line for line in planned)
    if full:
        assert any(line.startswith("rename") and f"[{ids['retitled']}]" in line
                   for line in planned)


# -- 8. the command ----------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "IMGUR_SYNC_CONFIG": str(tmp_path / "config.toml"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "imgur_sync", *args], env=env, text=True,
                          capture_output=True, timeout=60, check=False)


def test_cli_pull_prints_a_summary_and_dry_run_lists_changes(demo: Sandbox,
                                                             tmp_path: Path) -> None:
    write_config(tmp_path, demo)
    done = _cli(tmp_path, "pull")
    assert done.returncode == 0, done.stderr
    assert re.search(r"Quick pull of .*mirror: \d+ downloaded, \d+ linked.* API requests",
                     done.stdout), done.stdout
    assert "Traceback" not in done.stderr
    with Store(database_path(tmp_path / "state" / "imgur-sync")) as store:
        assert check_tree(tmp_path / "mirror", store, demo.world, demo.username) == []
    new = demo.world.add_image(demo.username, "After the pull", media_kind="stored",
                               data=render_tiny_png(7))
    dry = _cli(tmp_path, "pull", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert re.search(rf"^download +images/After the pull \[{new.id}\]\.png$", dry.stdout, re.M)
    assert "change(s) planned; dry run: nothing was changed" in dry.stdout
    assert not list((tmp_path / "mirror").rglob(f"*{new.id}*"))


def test_the_progress_bar_counts_each_download_once_across_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from imgur_sync.cli import _Progress

    monkeypatch.setattr(sys, "stderr", io.StringIO())  # the bar draws here
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave as often as they can: races show
    try:
        with _Progress() as progress:
            progress.enabled = True  # as on a terminal
            progress.update("planned", 8 * 2000)
            bar = progress.bar
            workers = [threading.Thread(target=lambda: [progress.update("download", 1)
                                                        for _ in range(2000)])
                       for _ in range(8)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert bar.pos == 8 * 2000
            assert progress.bar is None  # finished: the next line starts on a line of its own
    finally:
        sys.setswitchinterval(interval)


def test_cli_pull_refuses_while_another_holds_the_lock(demo: Sandbox, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, demo))
    with Workspace(config, purpose="test", state_dir=tmp_path / "state" / "imgur-sync"):
        refused = _cli(tmp_path, "pull")
    assert refused.returncode == 1
    assert "Another imgur-sync is working on this account" in refused.stderr
    assert "stop it" in refused.stderr and "imgur-sync test" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    assert not config.mirror.root.exists()


# -- the checks themselves ---------------------------------------------------------------------


def test_the_tree_checks_catch_a_broken_tree(rig: Callable[..., Rig], tmp_path: Path) -> None:
    made = rig("demo")
    assert made.pull().outcome == "ok"
    judge, tram = _image(made.sb, "The judge"), _image(made.sb, "Old tram")
    made.files_of(judge, "albums")[0].unlink()
    made.files_of(tram, "albums")[0].write_bytes(b"not the picture")
    (made.root / "images" / "escape [abc].png").symlink_to(tmp_path)
    (made.root / "messages" / ".imgur-sync-x.part").write_bytes(b"")
    problems = "\n".join(made.check())
    for expected in ("recorded but not on disk", "does not hold image", "leads outside",
                     "partial file left", "is not a regular file", "the album is"):
        assert expected in problems, problems
    assert id_of("007 Sunset [aB3].png") == "aB3" and id_of("012 Xy9.gif") == "Xy9"
