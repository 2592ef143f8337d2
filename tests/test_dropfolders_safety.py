"""Drop folders must never lose or rewrite what they back up: absent sources, edits, redrops.

Every test checks the sandbox's own state (its world) for the truth, and the mirror tree's
bytes on disk, not what the uploader believes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from drop_support import ROOT, ManualClock, Rig, make_rig, sha, wait_until, watching
from support import sandbox_config

from imgur_sync.mirror import Mirror
from imgur_sync.mirror.files import clone_into
from imgur_sync.mirror.verify import verify
from imgur_sync.sandbox import FaultPlan, Sandbox
from imgur_sync.sandbox.media import render_tiny_png
from imgur_sync.settings.config import load_config
from imgur_sync.status import collect_status

RigFactory = Callable[..., Rig]
ALBUM = "Safe"


@pytest.fixture
def rig(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[RigFactory]:
    """Return ``rig(uploads, scenario="empty")``: a rig on a fresh sandbox."""
    made: list[Rig] = []

    def make(uploads: list[tuple[str, str, str]], scenario: str = "empty") -> Rig:
        made.append(make_rig(start_sandbox(scenario), tmp_path, uploads))
        return made[-1]

    yield make
    for r in made:
        r.store.close()


def _five(r: Rig) -> dict[str, str]:
    """Drop and push five files into the album; return title -> image id."""
    folder = r.folder(ALBUM)
    for n in range(5):
        (folder / f"f{n}.png").write_bytes(render_tiny_png(500 + n))
    assert len(r.drop_folders(quiet=0).push().uploaded) == 5
    ids = {i.title or "": i.id for i in r.images()}
    assert sorted(r.titles_in(ALBUM)) == sorted(ids) and len(ids) == 5
    return ids


def _all_kept(r: Rig, ids: dict[str, str]) -> None:
    assert all(r.image_alive(i) for i in ids.values())
    assert sorted(r.titles_in(ALBUM)) == sorted(ids)


def _upload_one(r: Rig, title: str, data: bytes) -> tuple[Path, str, Path]:
    """Drop ``data`` as ``title``.png and push; return the file, its image id and its backup."""
    path = r.folder(ALBUM) / f"{title}.png"
    path.write_bytes(data)
    (image_id,) = r.drop_folders(quiet=0).push().uploaded
    backup = r.config.mirror.root / "images" / f"{title} [{image_id}].png"
    assert backup.read_bytes() == data
    return path, image_id, backup


def _held_back_reason(r: Rig, folder: Path) -> str:
    (failure,) = [f for f in r.store.open_failures() if f["item"] == str(folder)]
    return str(failure["reason"])


# -- finding 1: an absent source is not a deletion ---------------------------------------------


@pytest.mark.parametrize("mode", ["delete_image", "remove_from_album"])
def test_a_missing_drop_folder_deletes_nothing_and_is_not_recreated(
        rig: RigFactory, mode: str) -> None:
    r = rig([("safe", ALBUM, mode)])
    ids = _five(r)
    folder = r.folder(ALBUM)
    offline = folder.with_name("safe.offline")
    folder.rename(offline)  # what an unmounted share looks like
    r.drop_folders(quiet=0).push()
    _all_kept(r, ids)
    assert not folder.exists()  # not made again over the absent source
    reason = _held_back_reason(r, folder)
    assert "is missing" in reason and "--confirm-deletions" in reason
    # The watcher's start and its rescans hold back just the same.
    drop = r.drop_folders(quiet=0, monotonic=ManualClock())
    with watching(drop) as running:
        drop.request_rescan()
        running.wait_steps(2)
    _all_kept(r, ids)
    assert not folder.exists()
    offline.rename(folder)  # mounted again: nothing to undo, nothing uploaded twice
    r.drop_folders(quiet=0).push()
    _all_kept(r, ids)
    assert r.sb.counters.uploads == 5
    assert not [f for f in r.store.open_failures() if f["item"] == str(folder)]


def test_a_missing_keep_folder_is_not_recreated_either(rig: RigFactory) -> None:
    r = rig([("safe", ALBUM, "keep")])
    ids = _five(r)
    folder = r.folder(ALBUM)
    folder.rename(folder.with_name("safe.offline"))
    r.drop_folders(quiet=0).push()
    r.drop_folders(quiet=0).push()
    assert not folder.exists()
    folder.with_name("safe.offline").rename(folder)
    batch = r.drop_folders(quiet=0).push()
    assert batch.uploaded == {} and batch.linked == 0
    _all_kept(r, ids)


@pytest.mark.slow
def test_a_folder_unmounted_while_watching_deletes_nothing(rig: RigFactory) -> None:
    r = rig([("safe", ALBUM, "delete_image")])
    ids = _five(r)
    folder = r.folder(ALBUM)
    drop = r.drop_folders(quiet=0, monotonic=ManualClock())
    with watching(drop) as running:
        running.wait_steps(2)
        folder.rename(folder.with_name("safe.offline"))
        running.wait_steps(2)  # whatever the watcher reported of it is handled
        drop.request_rescan()
        running.wait_steps(2)
        _all_kept(r, ids)
        assert not folder.exists() and "is missing" in _held_back_reason(r, folder)
        folder.mkdir()  # the share is mounted again: the same files in another folder
        for file in folder.with_name("safe.offline").iterdir():
            file.rename(folder / file.name)
        drop.request_rescan()  # the rescan notices it and watches it again
        running.wait_steps(2)
        # No rescan follows (the loop's clock stands still): only a watch sees this file.
        (folder / "new.png").write_bytes(render_tiny_png(77))
        wait_until(lambda: r.sb.counters.uploads == 6, "the new file to be uploaded")
    assert all(r.image_alive(i) for i in ids.values())
    assert sorted(r.titles_in(ALBUM)) == sorted([*ids, "new"])


@pytest.mark.parametrize("mode", ["delete_image", "remove_from_album"])
def test_a_folder_that_lost_every_file_at_once_deletes_nothing(rig: RigFactory,
                                                               mode: str) -> None:
    r = rig([("safe", ALBUM, mode)])
    ids = _five(r)
    folder = r.folder(ALBUM)
    aside = r.tmp / "aside"
    shutil.move(folder, aside)
    folder.mkdir()  # the empty mount point of an unmounted share
    r.drop_folders(quiet=0).push()
    _all_kept(r, ids)
    assert "lost all 5 uploaded file(s) at once" in _held_back_reason(r, folder)
    folder.rmdir()
    shutil.move(aside, folder)
    r.drop_folders(quiet=0).push()
    _all_kept(r, ids)
    assert r.sb.counters.uploads == 5


def test_deletions_of_some_files_still_apply_and_confirming_applies_the_rest(
        rig: RigFactory) -> None:
    r = rig([("safe", ALBUM, "delete_image")])
    ids = _five(r)
    folder = r.folder(ALBUM)
    (folder / "f0.png").unlink()  # one of five, while nothing ran: the user's doing
    r.drop_folders(quiet=0).push()
    assert not r.image_alive(ids["f0"]) and len(r.titles_in(ALBUM)) == 4
    shutil.rmtree(folder)  # the rest, folder and all: held back until confirmed
    r.drop_folders(quiet=0).push()
    assert len(r.titles_in(ALBUM)) == 4
    r.drop_folders(quiet=0, confirm_deletions=True).push()
    assert r.images() == [] and folder.is_dir()
    assert not [f for f in r.store.open_failures() if f["item"] == str(folder)]


def test_the_cli_warns_about_a_held_back_folder_and_confirms_on_request(rig: RigFactory) -> None:
    r = rig([("safe", ALBUM, "remove_from_album")])
    ids = _five(r)
    folder = r.folder(ALBUM)
    shutil.rmtree(folder)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "imgur_sync", *args], env=r.env(),
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    held = cli("push")
    assert held.returncode == 0 and f"The drop folder {folder} is missing" in held.stderr
    assert "is missing" in cli("status").stdout
    _all_kept(r, ids)
    confirmed = cli("push", "--confirm-deletions")
    assert confirmed.returncode == 0, confirmed.stderr
    assert r.titles_in(ALBUM) == [] and all(r.image_alive(i) for i in ids.values())
    assert "is missing" not in cli("status").stdout


# -- finding 2: the backup is a copy of its own ------------------------------------------------


@pytest.mark.parametrize("links", ["hardlink", "copy"])
def test_editing_a_dropped_file_in_place_leaves_the_backup_as_uploaded(
        rig: RigFactory, links: str) -> None:
    r = rig([("safe", ALBUM, "keep")])
    r.config = load_config(sandbox_config(r.tmp / "config.toml", r.sb, r.config.mirror.root,
                                          uploads=[(r.folder(ALBUM), ALBUM, "keep")],
                                          album_links=links), env={})
    path, image_id, backup = _upload_one(r, "edited", render_tiny_png(77))
    uploaded, root = backup.read_bytes(), r.config.mirror.root
    with path.open("r+b") as handle:  # an editor saving in place
        handle.write(render_tiny_png(78))
    assert backup.read_bytes() == uploaded and not os.path.samefile(backup, path)
    (member,) = (root / "albums").glob(f"*/*[[]{image_id}].png")
    assert member.read_bytes() == uploaded
    report = verify(root, r.store, repair=False, links=links)
    assert report.problems == [] and report.checked >= 2


def test_a_backup_left_hard_linked_by_an_earlier_version_gets_a_copy_of_its_own(
        rig: RigFactory) -> None:
    r = rig([("safe", ALBUM, "keep")])
    path, image_id, backup = _upload_one(r, "old", render_tiny_png(79))
    uploaded, root = backup.read_bytes(), r.config.mirror.root
    (member,) = (root / "albums").glob(f"*/*[[]{image_id}].png")
    for name in (backup, member):  # the tree as earlier versions left it: links to the drop
        name.unlink()
        os.link(path, name)
    r.store.set_setting("uploads_separated", "no")
    r.drop_folders(quiet=0).push()
    with path.open("r+b") as handle:
        handle.write(render_tiny_png(80))
    assert backup.read_bytes() == uploaded and member.read_bytes() == uploaded
    assert os.path.samefile(backup, member)  # album links still share the backup's inode
    assert verify(root, r.store, repair=False).problems == []


# -- finding 8: bytes of a deleted image go up again -------------------------------------------


def test_redropping_the_bytes_of_an_image_deleted_by_delete_image_uploads_them(
        rig: RigFactory) -> None:
    r = rig([("safe", ALBUM, "delete_image")])
    folder = r.folder(ALBUM)
    data = render_tiny_png(88)
    (folder / "gone.png").write_bytes(data)
    (folder / "stays.png").write_bytes(render_tiny_png(89))
    r.drop_folders(quiet=0).push()
    old = r.image_titled("gone")
    (folder / "gone.png").unlink()
    r.drop_folders(quiet=0).push()
    assert not r.image_alive(old.id)
    (folder / "back.png").write_bytes(data)  # the same bytes, dropped again
    batch = r.drop_folders(quiet=0).push()
    assert list(batch.uploaded.values()) == [folder / "back.png"]
    new = r.image_titled("back")
    assert sha(new.data or b"") == sha(data)
    assert sorted(r.titles_in(ALBUM)) == ["back", "stays"]


def test_bytes_of_an_image_deleted_on_imgur_are_uploaded_again_not_linked(
        rig: RigFactory) -> None:
    r = rig([("a", "First", "keep"), ("b", "Second", "keep")])
    data = render_tiny_png(90)
    (r.folder("First") / "one.png").write_bytes(data)
    r.drop_folders(quiet=0).push()
    old = r.image_titled("one")
    with r.sb.world.lock:  # deleted on the website: our store still thinks it exists
        r.sb.world.delete_image(old.id)
    (r.folder("Second") / "two.png").write_bytes(data)
    batch = r.drop_folders(quiet=0).push()
    assert batch.linked == 0 and list(batch.uploaded.values()) == [r.folder("Second") / "two.png"]
    assert r.titles_in("Second") == ["two"]
    assert sha(r.image_titled("two").data or b"") == sha(data)


def test_a_refused_album_add_is_a_failure_that_status_shows(rig: RigFactory) -> None:
    r = rig([("a", "First", "keep"), ("b", "Second", "keep")])
    data = render_tiny_png(91)
    (r.folder("First") / "one.png").write_bytes(data)
    r.drop_folders(quiet=0).push()
    second = r.album("Second")
    assert second is not None
    with r.sb.world.lock:  # the album went away upstream: the image is fine, the add is not
        r.sb.world.delete_album(second.id)
    (r.folder("Second") / "two.png").write_bytes(data)
    drop = r.drop_folders(quiet=0)
    drop.uploader.albums[r.folder("Second")] = second.id  # as resolved before the deletion
    drop.uploader.consider(r.folder("Second") / "two.png")
    batch = drop.process()
    assert batch.linked == 0 and batch.uploaded == {}
    latest = drop.uploader.latest(r.folder("Second") / "two.png")
    assert latest["state"] == "failed" and latest["next_attempt_at"]
    problems = collect_status(r.config, r.state_dir)["uploads"]["problems"]
    assert [p["path"] for p in problems] == [str(r.folder("Second") / "two.png")]


# -- finding 13: replaced with the same size and an old mtime ----------------------------------


@pytest.mark.parametrize("how", ["cp -p", "rsync -t"])
@pytest.mark.parametrize("on_change", ["keep", "upload"])
def test_a_file_replaced_with_same_size_and_old_mtime_is_seen(rig: RigFactory, how: str,
                                                               on_change: str) -> None:
    r = rig([("safe", ALBUM, "remove_from_album")])
    if on_change == "upload":
        config_path = r.config.path
        config_path.write_text(config_path.read_text().replace(
            'on_local_delete = "remove_from_album"',
            'on_local_delete = "remove_from_album"\non_local_change = "upload"'))
        r.config = load_config(config_path, env={})
    folder = r.folder(ALBUM)
    path = folder / "photo.png"
    path.write_bytes(render_tiny_png(120))
    before = path.stat()
    r.drop_folders(quiet=0).push()
    source = r.tmp / "photo.png"
    source.write_bytes(render_tiny_png(121))  # another picture, the same size
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    if how == "cp -p":  # rewrites the same file, then copies the times over
        shutil.copy2(source, path)
    else:  # writes a temporary file, sets its times, renames it over
        temp = folder / ".photo.png.tmp"
        shutil.copy2(source, temp)
        os.replace(temp, path)
    assert path.stat().st_size == before.st_size and path.stat().st_mtime == before.st_mtime
    batch = r.drop_folders(quiet=0).push()
    if on_change == "keep":  # the new bytes are seen, and the policy keeps the one image
        assert batch.uploaded == {} and r.sb.counters.uploads == 1
        assert "not uploaded" in (r.store.latest_upload(path)["error"] or "")
        return
    assert list(batch.uploaded.values()) == [path]
    assert sorted(sha(i.data or b"") for i in r.images()) == sorted(
        sha(render_tiny_png(n)) for n in (120, 121))  # the first and its replacement


def test_a_file_only_touched_is_hashed_once_not_at_every_scan(rig: RigFactory) -> None:
    r = rig([("safe", ALBUM, "keep")])
    path = r.folder(ALBUM) / "photo.png"
    path.write_bytes(render_tiny_png(130))
    drop = r.drop_folders(quiet=0)
    drop.push()
    path.chmod(0o600)  # the ctime moves, the bytes do not
    assert not drop._known(path)  # so a scan hashes it again...
    drop.uploader.consider(path)
    assert drop._known(path)  # confirmed: the next rescan does not hash it again
    assert drop.process().uploaded == {} and r.sb.counters.uploads == 1


# -- the mirror takes uploads from disk -------------------------------------------------------


@pytest.mark.parametrize("answer", ["recorded", "lost"])
def test_an_upload_left_out_of_the_tree_is_copied_in_by_the_next_pull(rig: RigFactory,
                                                                      answer: str) -> None:
    r = rig([("safe", ALBUM, "keep")])
    path = r.folder(ALBUM) / "kept.png"
    data = render_tiny_png(140)
    path.write_bytes(data)
    drop = r.drop_folders(quiet=0)
    drop.start()
    drop.uploader.consider(path)
    if answer == "lost":  # uploaded, but the answer comes back garbled
        r.sb.set_faults(FaultPlan(rates={"malformed_json": 1.0}))
    drop.uploader.process()  # and a crash before the tree: nothing taken into the tree
    r.sb.set_faults(FaultPlan())
    state = drop.uploader.latest(path)["state"]
    assert state == ("done" if answer == "recorded" else "uploading")
    (image,) = r.images()
    assert Mirror(r.config, r.store, r.client.transport).pull().outcome == "ok"
    assert r.sb.counters.media_requests == 0  # the dropped file is it (found by its marker)
    backup = r.config.mirror.root / "images" / f"kept [{image.id}].png"
    assert backup.read_bytes() == data and not os.path.samefile(backup, path)


def test_clone_into_makes_an_equal_independent_file(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one chunk of every way of copying
    source.write_bytes(data)
    with source.open("rb") as src, target.open("wb") as dst:
        clone_into(src.fileno(), dst.fileno())
    assert target.read_bytes() == data and not os.path.samefile(source, target)
    with source.open("r+b") as handle:
        handle.write(b"changed")
    assert target.read_bytes() == data
