"""Drop folders end to end: real watchdog observers on temporary folders, the sandbox over HTTP.

Every test checks the sandbox's own state (its world: images, albums, stored bytes) for the
truth, not what the uploader believes. Waits poll that state against a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from drop_support import (
    ROOT,
    ManualClock,
    Rig,
    Watching,
    make_rig,
    sha,
    wait_until,
    watching,
)
from support import FakeClock

from imgur_sync.api import RetryPolicy, TransportError
from imgur_sync.dropfolders import DropFolders
from imgur_sync.dropfolders.uploader import MAX_IMAGE_BYTES
from imgur_sync.mirror import Mirror
from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions
from imgur_sync.sandbox.media import render_tiny_png

QUIET = 1.0

RigFactory = Callable[..., Rig]


@pytest.fixture
def rig(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[RigFactory]:
    """Return ``rig(uploads, scenario="empty", sandbox={...}, **client_options)``."""
    made: list[Rig] = []

    def make(uploads: list[tuple[str, str, str]], scenario: str = "empty",
             sandbox: dict | None = None, **client_options: object) -> Rig:
        sb = start_sandbox(scenario, **(sandbox or {}))
        made.append(make_rig(sb, tmp_path, uploads, **client_options))
        return made[-1]

    yield make
    for r in made:
        r.store.close()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def quiet(r: Rig, drop: DropFolders, running: Watching) -> None:
    """Wait until nothing is settling or queued, then two more loop steps."""
    def idle() -> bool:
        busy = [u for u in r.store.iter_uploads() if u["state"] in ("pending", "uploading")]
        return not busy and drop.tracker.pending() == 0
    wait_until(idle, "the drop folders to go quiet")
    running.wait_steps(2)


# -- watching: files written while the loop runs ------------------------------------------------


@pytest.mark.slow
def test_a_large_file_written_slowly_is_uploaded_once_and_complete(rig: RigFactory) -> None:
    r = rig([("big", "Big files", "remove_from_album")])
    # Only a close after writing, or `quiet` seconds of this clock without change, makes a
    # file ready; the test moves it by hand, always less than `quiet` between two writes.
    mono = ManualClock()
    drop = r.drop_folders(quiet=QUIET, monotonic=mono)
    head = render_tiny_png(77)
    body = os.urandom(8 * 1024 * 1024)  # under the sandbox's 10 MB limit for images
    payload = png_chunk(b"raNd", body)
    expected = head[:33] + payload + head[33:]  # signature and IHDR, our chunk, IDAT and IEND
    target = r.folder("Big files") / "panorama.png"
    pieces = [expected[i:i + 1_500_000] for i in range(0, len(expected), 1_500_000)]
    with watching(drop) as running:
        with target.open("wb") as out:
            for piece in pieces:
                out.write(piece)
                out.flush()
                os.fsync(out.fileno())
                running.wait_steps(2)  # the loop saw this much of the file
                mono.advance(QUIET * 0.6)
                assert r.sb.counters.uploads == 0, "a file still being written was uploaded"
            assert drop.tracker.pending() == 1  # seen, and waiting for the writer
        (image,) = wait_until(lambda: [r.sb.world.image(i) for i in
                                       getattr(r.album("Big files"), "image_ids", [])],
                              "the large file in its album")
        quiet(r, drop, running)
    assert r.sb.counters.uploads == 1 and len(r.images()) == 1
    assert image.size == len(expected) == target.stat().st_size
    served = requests.get(f"{r.sb.url}/{image.id}.png", timeout=30)
    assert served.status_code == 200 and sha(served.content) == sha(expected)
    assert image.title == "panorama"


@pytest.mark.slow
def test_a_burst_of_200_files_lands_in_the_album_exactly_once(rig: RigFactory) -> None:
    # 200 uploads cost 2000 credits: a whole hour of the user's budget, so raise it here
    # (waiting for the reset is test_a_small_post_budget_delays_uploads_and_loses_none's job).
    r = rig([("burst", "Burst", "remove_from_album")],
            sandbox={"options": SandboxOptions(user_limit=100_000)})
    drop = r.drop_folders(quiet=QUIET, monotonic=ManualClock())  # close events only
    folder = r.folder("Burst")
    names = {f"shot-{n:03d}": render_tiny_png(10_000 + n) for n in range(200)}
    with watching(drop) as running:
        for stem, data in names.items():
            (folder / f"{stem}.png").write_bytes(data)
        wait_until(lambda: len(r.titles_in("Burst")) >= 200, "200 images in the album",
                   timeout=60)
        quiet(r, drop, running)
    titles = r.titles_in("Burst")
    assert sorted(titles) == sorted(names) and len(set(titles)) == 200
    images = r.images()
    assert len(images) == 200 and r.sb.counters.uploads == 200  # no duplicate on the account
    by_title = {i.title: i for i in images}
    assert all(sha(by_title[stem].data or b"") == sha(data) for stem, data in names.items())
    # The marker of each upload is in its name, one marker per image.
    markers = {i.name.rpartition("[")[2].rstrip("]") for i in images}
    assert len(markers) == 200 and all(m.startswith("imgur-sync:") for m in markers)
    journal = r.store.iter_uploads()
    assert len(journal) == 200 and {u["state"] for u in journal} == {"done"}


# -- albums ------------------------------------------------------------------------------------


def test_albums_found_by_id_by_existing_title_or_created(rig: RigFactory,
                                                         start_sandbox: Callable[..., Sandbox],
                                                         tmp_path: Path) -> None:
    sb = start_sandbox("empty")
    by_id = sb.world.add_album(sb.username, "Known by its id")
    existing = sb.world.add_album(sb.username, "Already there")
    r = make_rig(sb, tmp_path, [("new", "Made for the folder", "keep"),
                                ("byid", by_id.id, "keep"), ("bytitle", "Already there", "keep")])
    try:
        for n, album in enumerate(["Made for the folder", by_id.id, "Already there"]):
            (r.folder(album) / f"file-{n}.png").write_bytes(render_tiny_png(500 + n))
        batch = r.drop_folders(quiet=0).push()
        assert len(batch.uploaded) == 3 and batch.bad == []
        assert r.titles_in("Made for the folder") == ["file-0"]
        assert [sb.world.image(i).title for i in by_id.image_ids] == ["file-1"]
        assert r.titles_in("Already there") == ["file-2"] and r.album("Already there") is existing
        titles = sorted(a.title or "" for a in sb.world.albums_of(sb.username))
        assert titles == ["Already there", "Known by its id", "Made for the folder"]
        # A second run finds the album it made by its title: no second album.
        r.drop_folders(quiet=0).push()
        assert len(sb.world.albums_of(sb.username)) == 3
    finally:
        r.store.close()


def _seed_striking(kind: str, pattern: list[bool]) -> int:
    """A fault seed under which API requests 1, 2, ... suffer ``kind`` exactly as ``pattern``."""
    for seed in range(100_000):
        plan = FaultPlan(rates={kind: 0.5}, seed=seed)
        if all(plan.strikes(kind, n + 1) == hit for n, hit in enumerate(pattern)):
            return seed
    raise AssertionError("no seed gives that pattern")


def test_a_lost_answer_to_the_album_creation_makes_no_second_album(rig: RigFactory) -> None:
    # Request 1 lists the albums (none), request 2 creates the album and its answer is cut
    # short after the sandbox made it; nothing after that fails.
    seed = _seed_striking("malformed_json", [False, True] + [False] * 12)
    r = rig([("new", "Only once", "keep")],
            sandbox={"faults": FaultPlan(rates={"malformed_json": 0.5}, seed=seed)})
    drop = r.drop_folders(quiet=0)
    drop.start()
    assert r.sb.counters.faults["malformed_json"] == 1
    assert len(r.albums("Only once")) == 1


# -- identity is the content ---------------------------------------------------------------------


def test_same_bytes_are_never_uploaded_twice(rig: RigFactory) -> None:
    r = rig([("cats", "Cats", "remove_from_album"), ("best", "Best of", "remove_from_album")])
    drop = r.drop_folders(quiet=QUIET, monotonic=ManualClock())
    data = render_tiny_png(4242)
    cats, best = r.folder("Cats"), r.folder("Best of")
    with watching(drop) as running:
        (cats / "tabby.png").write_bytes(data)
        wait_until(lambda: r.titles_in("Cats") == ["tabby"], "tabby in Cats")
        (image,) = r.images()
        # The same bytes again in the same folder, under another name: nothing new upstream.
        (cats / "tabby copy.png").write_bytes(data)
        wait_until(lambda: (drop.uploader.latest(cats / "tabby copy.png") or {}).get("state")
                   == "done", "the copy to be journaled")
        assert [i.id for i in r.images()] == [image.id] and r.sb.counters.uploads == 1
        assert r.album("Cats").image_ids == [image.id]  # type: ignore[union-attr]
        # The same bytes in a second mapped folder: the existing image joins that album.
        (best / "favourite.png").write_bytes(data)
        wait_until(lambda: getattr(r.album("Best of"), "image_ids", None) == [image.id],
                   "the existing image in Best of")
        quiet(r, drop, running)
    assert [i.id for i in r.images()] == [image.id] and r.sb.counters.uploads == 1
    assert r.album("Cats").image_ids == [image.id]  # type: ignore[union-attr]


@pytest.mark.parametrize("source_mode", ["remove_from_album", "keep", "delete_image"])
def test_a_move_between_mapped_folders_moves_the_image(rig: RigFactory,
                                                       source_mode: str) -> None:
    r = rig([("from", "From", source_mode), ("to", "To", "remove_from_album")])
    # Real time here: a file moved in is not closed after writing, so it is ready once it
    # has not changed for `quiet` seconds (watchdog reports the move as a deletion in one
    # folder and a creation in the other).
    drop = r.drop_folders(quiet=QUIET)
    source, target = r.folder("From") / "trip.png", r.folder("To") / "trip.png"
    with watching(drop) as running:
        source.write_bytes(render_tiny_png(31337))
        wait_until(lambda: r.titles_in("From") == ["trip"], "trip in From")
        (image,) = r.images()
        os.rename(source, target)
        wait_until(lambda: drop.uploader.latest(source)["state"] == "removed"
                   and (drop.uploader.latest(target) or {}).get("state") == "done",
                   "the move to be journaled")
        quiet(r, drop, running)
    assert r.image_alive(image.id), "moving a file deleted its image"
    assert r.album("To").image_ids == [image.id]  # type: ignore[union-attr]
    assert r.album("From").image_ids == []  # type: ignore[union-attr]
    assert len(r.images()) == 1 and r.sb.counters.uploads == 1


def test_local_deletion_applies_on_local_delete(rig: RigFactory) -> None:
    r = rig([("keep", "Kept", "keep"), ("remove", "Removed", "remove_from_album"),
             ("delete", "Deleted", "delete_image"), ("other", "Other", "remove_from_album")])
    drop = r.drop_folders(quiet=QUIET, monotonic=ManualClock())
    shared = render_tiny_png(9)
    files = {"Kept": "k", "Removed": "r", "Deleted": "d"}
    with watching(drop) as running:
        for n, (album, stem) in enumerate(files.items()):
            (r.folder(album) / f"{stem}.png").write_bytes(render_tiny_png(n + 1))
        (r.folder("Deleted") / "shared.png").write_bytes(shared)
        (r.folder("Other") / "shared too.png").write_bytes(shared)
        wait_until(lambda: len(r.images()) == 4 and r.album("Other")
                   and len(r.album("Other").image_ids) == 1, "four images, one shared")
        quiet(r, drop, running)
        ids = {i.title: i.id for i in r.images()}
        shared_id = r.album("Other").image_ids[0]  # type: ignore[union-attr]
        assert set(r.album("Deleted").image_ids) == {ids["d"], shared_id}  # type: ignore
        for album, stem in files.items():
            (r.folder(album) / f"{stem}.png").unlink()
        (r.folder("Deleted") / "shared.png").unlink()
        gone = [r.folder(a) / f"{s}.png" for a, s in files.items()]
        gone.append(r.folder("Deleted") / "shared.png")
        wait_until(lambda: all(drop.uploader.latest(p)["state"] == "removed" for p in gone),
                   "the four deletions to be journaled")
        quiet(r, drop, running)
    assert r.titles_in("Kept") == ["k"]  # keep: nothing changes upstream
    assert r.image_alive(ids["r"])  # remove_from_album: out of the album, still on the account
    assert not r.image_alive(ids["d"])  # delete_image: gone
    # delete_image never deletes an image another folder's file still stands for...
    assert r.image_alive(shared_id) and r.album("Other").image_ids == [shared_id]  # type: ignore
    # ...but it does leave the album of the folder it was deleted from.
    assert r.album("Deleted").image_ids == []  # type: ignore[union-attr]
    assert len(r.images()) == 3 and r.sb.counters.uploads == 4


# -- what is never uploaded ------------------------------------------------------------------------


def test_ignored_files_are_never_uploaded(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    drop = r.drop_folders(quiet=QUIET, monotonic=ManualClock())
    folder = r.folder("Drops")
    ignored = [".hidden.png", "x.part", "x.tmp", "x.crdownload", "~$x.png"]
    with watching(drop) as running:
        for n, name in enumerate(ignored):
            (folder / name).write_bytes(render_tiny_png(700 + n))
        # A browser download: written as .part, renamed when complete.
        (folder / "download.png.part").write_bytes(render_tiny_png(800))
        os.rename(folder / "download.png.part", folder / "download.png")
        (folder / "sentinel.png").write_bytes(render_tiny_png(801))
        wait_until(lambda: sorted(r.titles_in("Drops")) == ["download", "sentinel"],
                   "download and sentinel in the album")
        quiet(r, drop, running)
    # A later start scans the folder again: the ignored files stay ignored.
    r.drop_folders(quiet=0).push()
    assert sorted(r.titles_in("Drops")) == ["download", "sentinel"]
    assert len(r.images()) == 2 and r.sb.counters.uploads == 2
    assert not any(Path(u["path"]).name in ignored for u in r.store.iter_uploads())


def _refused_png() -> bytes:
    """PNG magic with a broken header: the uploader's sniff passes it, Imgur refuses it."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_bad_files_are_not_uploaded_and_status_says_why(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    folder = r.folder("Drops")
    (folder / "good.png").write_bytes(render_tiny_png(1))
    (folder / "notes.png").write_text("just some text, not a picture\n")
    huge = folder / "huge.png"
    huge.write_bytes(render_tiny_png(2))
    os.truncate(huge, MAX_IMAGE_BYTES + 1)  # sparse: costs no disk and no hashing
    (folder / "refused.png").write_bytes(_refused_png())
    outside = r.tmp / "outside.png"
    outside.write_bytes(render_tiny_png(3))
    (folder / "link.png").symlink_to(outside)
    reasons = {"notes.png": "not an image or video Imgur accepts",
               "huge.png": "over Imgur's 20 MB limit",
               "refused.png": "Imgur refused it",
               "link.png": "symlink leading outside its folder"}
    # Root reads a mode-000 file anyway, so the unreadable case only means something for
    # other users; as root the other bad kinds above still cover the rule.
    if os.geteuid() != 0:
        secret = folder / "secret.png"
        secret.write_bytes(render_tiny_png(4))
        secret.chmod(0)
        reasons["secret.png"] = "cannot be read (permission denied)"
    # huge.png and refused.png do not look whole (no IEND): patience=0 judges them at once.
    batch = r.drop_folders(quiet=0, patience=0).push()
    assert list(batch.uploaded.values()) == [folder / "good.png"]
    assert r.titles_in("Drops") == ["good"] and len(r.images()) == 1
    assert {Path(p).name for p, _ in batch.bad} == set(reasons)
    # A second run neither uploads them nor reports them twice.
    again = r.drop_folders(quiet=0, patience=0).push()
    assert again.uploaded == {} and again.bad == [] and len(r.images()) == 1

    shown = subprocess.run([sys.executable, "-m", "imgur_sync", "status", "--json"],
                           env=r.env(), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    problems = {Path(p["path"]).name: p for p in json.loads(shown.stdout)["uploads"]["problems"]}
    assert set(problems) == set(reasons)
    for name, reason in reasons.items():
        assert problems[name]["state"] == "bad" and reason in problems[name]["error"], name
    text = subprocess.run([sys.executable, "-m", "imgur_sync", "status"], env=r.env(), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    for name, reason in reasons.items():
        assert any(name in line and reason in line for line in text.stdout.splitlines()), name


def test_a_fifo_in_a_drop_folder_does_not_stall_the_watcher(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    mono = ManualClock()
    drop = r.drop_folders(quiet=QUIET, monotonic=mono)
    folder = r.folder("Drops")
    fifo = folder / "pipe.png"
    try:
        with watching(drop) as running:
            os.mkfifo(fifo)  # nobody closes a pipe after writing: it is due once quiet
            running.wait_steps(2)
            mono.advance(QUIET)
            latest = wait_until(lambda: drop.uploader.latest(fifo), "the pipe to be journaled",
                                timeout=10)
            assert latest["state"] == "bad" and "not a regular file" in latest["error"]
            (folder / "after.png").write_bytes(render_tiny_png(5))
            wait_until(lambda: r.titles_in("Drops") == ["after"], "after.png in the album",
                       timeout=10)
    finally:
        # Unblock a reader stuck on the pipe, so a failing test still ends.
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


# -- between runs --------------------------------------------------------------------------------


def test_files_added_while_nothing_ran_are_uploaded_at_the_next_start(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    folder = r.folder("Drops")
    for n in (1, 2):
        (folder / f"a{n}.png").write_bytes(render_tiny_png(100 + n))
    assert len(r.drop_folders(quiet=0).push().uploaded) == 2
    # Nothing runs: one file arrives, one is deleted.
    (folder / "a3.png").write_bytes(render_tiny_png(103))
    a1 = r.image_titled("a1")
    (folder / "a1.png").unlink()
    batch = r.drop_folders(quiet=0).push()
    assert list(batch.uploaded.values()) == [folder / "a3.png"]
    assert sorted(r.titles_in("Drops")) == ["a2", "a3"]  # a1 left the album at start-up
    assert r.image_alive(a1.id)  # remove_from_album keeps it on the account
    # Again while nothing runs, then the watcher's start-up scan picks it up.
    (folder / "a4.png").write_bytes(render_tiny_png(104))
    # Real time: a file written less than `quiet` before the start gets that long to finish.
    drop = r.drop_folders(quiet=0.2)
    with watching(drop):
        wait_until(lambda: "a4" in r.titles_in("Drops"), "a4 in the album")
    assert sorted(r.titles_in("Drops")) == ["a2", "a3", "a4"]
    assert len(r.images()) == 4 and r.sb.counters.uploads == 4


def test_a_push_while_imgur_does_not_answer_keeps_every_file_queued(rig: RigFactory) -> None:
    sleeps: list[float] = []
    with socket.socket() as probe:  # a fixed port, so the sandbox can come back on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    r = rig([("drop", "Drops", "remove_from_album")], sandbox={"port": port},
            sleep=sleeps.append)
    folder = r.folder("Drops")
    for n in (1, 2, 3):
        (folder / f"q{n}.png").write_bytes(render_tiny_png(300 + n))
    r.sb.stop()  # the port closes: every connection is refused
    with pytest.raises(TransportError, match=r"connection was refused.*the push stopped, and "
                                             r"the files not uploaded yet wait in their folders"):
        r.drop_folders(quiet=0).push()
    assert len(sleeps) == r.client.transport.retry.attempts - 1  # one call's backoff, no more
    assert r.sb.counters.uploads == 0
    # Imgur back: the next push takes all three, once each.
    r.sb.start()
    assert len(r.drop_folders(quiet=0).push().uploaded) == 3
    assert sorted(r.titles_in("Drops")) == ["q1", "q2", "q3"] and r.sb.counters.uploads == 3


def test_a_bad_file_fixed_while_nothing_ran_is_uploaded_at_the_next_start(
        rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    folder = r.folder("Drops")
    (folder / "later.png").write_text("a placeholder, not a picture yet\n")
    first = r.drop_folders(quiet=0).push()
    assert [Path(p).name for p, _ in first.bad] == ["later.png"] and r.images() == []
    picture = render_tiny_png(55)
    (folder / "later.png").write_bytes(picture)
    # The journal entry predates the new content: the next start must look again.
    os.utime(folder / "later.png", (r.store.iter_uploads()[-1]["created"] + 1,) * 2)
    batch = r.drop_folders(quiet=0).push()
    assert list(batch.uploaded.values()) == [folder / "later.png"]
    assert r.titles_in("Drops") == ["later"] and sha(r.images()[0].data or b"") == sha(picture)


def test_same_bytes_in_two_folders_at_once_make_one_image(rig: RigFactory) -> None:
    r = rig([("a", "First", "keep"), ("b", "Second", "keep")])
    data = render_tiny_png(66)
    (r.folder("First") / "one.png").write_bytes(data)
    (r.folder("Second") / "two.png").write_bytes(data)
    batch = r.drop_folders(quiet=0).push()
    assert len(batch.uploaded) == 1 and batch.linked == 1
    (image,) = r.images()
    assert r.album("First").image_ids == [image.id]  # type: ignore[union-attr]
    assert r.album("Second").image_ids == [image.id]  # type: ignore[union-attr]



def test_known_bytes_join_the_second_albums_mirror_folder_at_once(rig: RigFactory) -> None:
    r = rig([("a", "First", "keep"), ("b", "Second", "keep")])
    data = render_tiny_png(67)
    (r.folder("First") / "one.png").write_bytes(data)
    r.drop_folders(quiet=0).push()
    (r.folder("Second") / "two.png").write_bytes(data)  # later, in another round
    batch = r.drop_folders(quiet=0).push()
    (image,) = r.images()
    assert batch.uploaded == {} and batch.linked == 1
    # The second album's mirror folder holds it now, without a pull or a download.
    albums = r.config.mirror.root / "albums"
    placed = sorted(p.parent.name.split(" [")[0] for p in albums.glob("*/*.png")
                    if f"[{image.id}]" in p.name)
    assert placed == ["First", "Second"] and r.sb.counters.media_requests == 0


def test_uploads_join_the_mirror_without_being_downloaded(rig: RigFactory) -> None:
    r = rig([("cats", "Cats", "remove_from_album")], scenario="demo")
    mirror = Mirror(r.config, r.store, r.client.transport)
    assert mirror.pull().outcome == "ok"
    album = r.album("Cats")
    assert album is not None and len(album.image_ids) == 4  # the demo's own cats
    folder = r.folder("Cats")
    drops = {f"new cat {n}": render_tiny_png(900 + n) for n in range(3)}
    for stem, data in drops.items():
        (folder / f"{stem}.png").write_bytes(data)
    batch = r.drop_folders(quiet=0).push()
    assert len(batch.uploaded) == 3
    root = r.config.mirror.root
    for image_id, path in batch.uploaded.items():  # their metadata came in with them
        assert (root / "images" / f"{path.stem} [{image_id}].png.xmp").is_file()
    before = r.sb.counters.snapshot()
    assert mirror.pull().outcome == "ok"
    assert mirror.pull(full=True).outcome == "ok"
    after = r.sb.counters.snapshot()
    assert after["media_requests"] == before["media_requests"]
    assert not set(after["media_by_image"]) & set(batch.uploaded)
    members = [p for p in (root / "albums" / f"Cats [{album.id}]").iterdir()
               if p.name != "album.json"]
    assert len(members) == 7
    for image_id, path in batch.uploaded.items():
        data = drops[path.stem]
        assert (root / "images" / f"{path.stem} [{image_id}].png").read_bytes() == data
        (member,) = [m for m in members if m.name.endswith(f" {path.stem} [{image_id}].png")]
        assert member.read_bytes() == data


def test_a_small_post_budget_delays_uploads_and_loses_none(rig: RigFactory) -> None:
    clock = FakeClock()
    options = SandboxOptions(post_limit=5, post_window=60, enforce_post_limit=True)
    # A wait longer than 10 s is the caller's to make (as Imgur's hour-long window is).
    r = rig([("drop", "Budget", "remove_from_album")],
            sandbox={"options": options, "clock": clock},
            clock=clock, sleep=clock.sleep, retry=RetryPolicy(max_wait=10))
    folder = r.folder("Budget")
    for n in range(12):
        (folder / f"p{n:02d}.png").write_bytes(render_tiny_png(3000 + n))
    drop = r.drop_folders(quiet=0, clock=clock, monotonic=clock)
    rounds = [len(drop.push().uploaded)]
    assert len(r.store.iter_uploads()) == 12  # all journaled, even those that must wait
    assert len(drop.process().uploaded) == 0  # nothing is due before the window resets
    while len(r.titles_in("Budget")) < 12 and len(rounds) < 10:
        clock.now += 61
        rounds.append(len(drop.process().uploaded))
    # Five POSTs a window: the album's creation took one of the first window's.
    assert rounds == [4, 5, 3]
    assert sorted(r.titles_in("Budget")) == [f"p{n:02d}" for n in range(12)]
    assert len(r.images()) == 12 and r.sb.counters.uploads == 12
    journal = r.store.iter_uploads()
    assert len(journal) == 12 and {u["state"] for u in journal} == {"done"}
    assert len({u["image_id"] for u in journal}) == 12
    assert r.sb.counters.by_status[429] == 0  # the client waited; Imgur never had to refuse
    assert clock.slept == []  # and it never blocked on a long wait


def test_a_lost_upload_answer_is_recovered_not_uploaded_again(rig: RigFactory) -> None:
    clock = FakeClock()
    r = rig([("drop", "Lost", "remove_from_album")], sandbox={"clock": clock},
            clock=clock, sleep=clock.sleep)
    drop = r.drop_folders(quiet=0, clock=clock, monotonic=clock)
    drop.start()
    path = r.folder("Lost") / "answer.png"
    path.write_bytes(render_tiny_png(42))
    drop.uploader.consider(path)
    r.sb.set_faults(FaultPlan(rates={"malformed_json": 1.0}))  # the server works, answers garbled
    first = drop.process()
    r.sb.set_faults(FaultPlan())
    assert first.uploaded == {} and r.sb.counters.uploads == 1
    assert drop.uploader.latest(path)["state"] == "uploading"
    clock.now += RetryPolicy().cap * 100  # past any backoff
    drop.process()
    (image,) = r.images()
    assert r.sb.counters.uploads == 1 and r.album("Lost").image_ids == [image.id]  # type: ignore
    latest = drop.uploader.latest(path)
    assert latest["state"] == "done" and latest["image_id"] == image.id
    # The recovered image joins the mirror from the local file, not by a download.
    Mirror(r.config, r.store, r.client.transport, clock=clock).pull()
    assert r.sb.counters.media_requests == 0
    assert (r.config.mirror.root / "images" / f"answer [{image.id}].png").read_bytes() == (
        path.read_bytes())
