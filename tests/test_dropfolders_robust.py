"""Drop folders against hostile input: slow writers, changed files, undecodable names, idleness.

Real watchdog observers on temporary folders and the sandbox over HTTP; the sandbox's own
state is the truth. Clocks are injected where a quiet period matters; waits are bounded.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from drop_support import ROOT, ManualClock, Rig, make_rig, sha, wait_until, watching

from imgur_sync.dropfolders.uploader import Progress
from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import render_tiny_png
from imgur_sync.settings.config import load_config

QUIET, PATIENCE = 1.0, 30.0

RigFactory = Callable[..., Rig]


@pytest.fixture
def rig(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[RigFactory]:
    """Return ``rig(uploads)``: a rig on an empty sandbox."""
    made: list[Rig] = []

    def make(uploads: list[tuple[str, str, str]]) -> Rig:
        made.append(make_rig(start_sandbox("empty"), tmp_path, uploads))
        return made[-1]

    yield make
    for r in made:
        r.store.close()


def bytes_path(folder: Path, name: bytes) -> Path:
    """Create ``folder/name`` (a name that need not be UTF-8) with a picture; return its Path."""
    fd = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, render_tiny_png(len(name)))
    finally:
        os.close(fd)
    return folder / os.fsdecode(name)


# -- finding 3: slowly written files ------------------------------------------------------------


@pytest.mark.slow
def test_a_png_written_in_pieces_with_pauses_becomes_one_whole_image(rig: RigFactory) -> None:
    r = rig([("slow", "Slow", "remove_from_album")])
    mono = ManualClock()
    drop = r.drop_folders(quiet=QUIET, patience=PATIENCE, monotonic=mono)
    png = render_tiny_png(31)
    pieces = [png[i:i + 16] for i in range(0, len(png), 16)]
    target = r.folder("Slow") / "drawing.png"
    with watching(drop) as running:
        for piece in pieces:
            # Each piece is appended and closed (IN_CLOSE_WRITE), then the writer pauses for
            # longer than `quiet`: neither the close nor the quiet makes a cut PNG whole.
            with target.open("ab") as out:
                out.write(piece)
            running.wait_steps(2)
            mono.advance(QUIET * 3)
            running.wait_steps(2)
            if target.stat().st_size < len(png):
                assert r.sb.counters.uploads == 0, "a file still being written was uploaded"
        (image,) = wait_until(lambda: r.images(), "the drawing on the account")
        running.wait_steps(2)
    assert r.sb.counters.uploads == 1 and len(r.images()) == 1
    assert image.size == len(png) and sha(image.data or b"") == sha(png)
    assert r.titles_in("Slow") == ["drawing"]


def test_a_cut_file_left_alone_is_uploaded_as_it_is_after_patience(rig: RigFactory) -> None:
    r = rig([("cut", "Cut", "remove_from_album")])
    mono = ManualClock()
    drop = r.drop_folders(quiet=QUIET, patience=PATIENCE, monotonic=mono)
    cut = render_tiny_png(32)[:-12]  # no IEND: the writer died
    with watching(drop) as running:
        (r.folder("Cut") / "broken.png").write_bytes(cut)
        running.wait_steps(2)
        mono.advance(PATIENCE - 1)
        running.wait_steps(2)
        assert r.sb.counters.uploads == 0 and drop.tracker.pending() == 1
        mono.advance(PATIENCE)  # well past it, even counted from a late event
        (image,) = wait_until(lambda: r.images(), "the cut file on the account")
    assert image.size == len(cut) and r.sb.counters.uploads == 1


def test_a_changed_file_adds_no_image_unless_on_local_change_says_upload(
        rig: RigFactory, tmp_path: Path) -> None:
    r = rig([("edit", "Edits", "keep")])
    folder = r.folder("Edits")
    photo = folder / "photo.png"
    photo.write_bytes(render_tiny_png(41))
    assert len(r.drop_folders(quiet=0).push().uploaded) == 1
    (first,) = r.images()
    photo.write_bytes(render_tiny_png(42))  # edited and saved again under the same name
    with watching(r.drop_folders(quiet=0)) as running:
        wait_until(lambda: "not uploaded" in (r.store.latest_upload(photo)["error"] or ""),
                   "the change to be noted")
        running.wait_steps(2)
    assert r.sb.counters.uploads == 1 and [i.id for i in r.images()] == [first.id]
    assert sha(first.data or b"") == sha(render_tiny_png(41))
    assert len(r.store.iter_uploads()) == 1  # noted on the entry: a rescan adds nothing
    # The documented key, parsed from the file: "upload" makes the new version an image.
    config_path = r.config.path
    config_path.write_text(config_path.read_text().replace(
        'on_local_delete = "keep"', 'on_local_delete = "keep"\non_local_change = "upload"'))
    r.config = load_config(config_path, env={})
    assert r.config.uploads[0].on_local_change == "upload"
    batch = r.drop_folders(quiet=0).push()
    assert list(batch.uploaded.values()) == [photo] and r.sb.counters.uploads == 2
    assert sorted(sha(i.data or b"") for i in r.images()) == sorted(
        sha(render_tiny_png(n)) for n in (41, 42))


def test_a_version_replaced_before_its_upload_is_not_uploaded(rig: RigFactory) -> None:
    r = rig([("edit", "Edits", "keep")])
    photo = r.folder("Edits") / "photo.png"
    photo.write_bytes(render_tiny_png(51))
    drop = r.drop_folders(quiet=0)
    drop.start()
    drop.uploader.consider(photo)  # journaled, not sent yet
    photo.write_bytes(render_tiny_png(52))
    drop.uploader.consider(photo)
    drop.process()
    (image,) = r.images()
    assert r.sb.counters.uploads == 1 and sha(image.data or b"") == sha(render_tiny_png(52))


# -- finding 4: names that are not UTF-8 ------------------------------------------------------


def test_a_name_that_is_not_utf8_stops_neither_push_nor_the_other_files(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    folder = r.folder("Drops")
    bad = bytes_path(folder, b"bad\xff\xfe.png")
    (folder / "good.png").write_bytes(render_tiny_png(61))
    fd = os.open(os.fsencode(folder) + b"/notes\xff.png", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"not a picture\n")
    os.close(fd)
    hour_ago = time.time() - 3600  # dropped a while ago: not waited for as still being written
    os.utime(os.fsencode(folder) + b"/notes\xff.png", (hour_ago, hour_ago))
    pushed = subprocess.run([sys.executable, "-m", "imgur_sync", "push"], env=r.env(), cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert pushed.returncode == 3, pushed.stderr  # 3: a file was not uploaded, and says why
    assert "Traceback" not in pushed.stderr and "Uploaded 2 file(s)" in pushed.stdout
    assert "not uploaded: " in pushed.stderr and "notes\\xff.png: it is not an image" in (
        pushed.stderr)
    assert sorted(r.titles_in("Drops")) == ["bad\\xff\\xfe", "good"]
    assert r.store.latest_upload(bad)["state"] == "done"  # found again by its real name
    shown = subprocess.run([sys.executable, "-m", "imgur_sync", "status"], env=r.env(),
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "notes\\xff.png: it is not an image" in shown.stdout
    # Nothing changed on disk: the next push finds both known, and deletes nothing.
    again = r.drop_folders(quiet=0).push()
    assert again.uploaded == {} and len(r.images()) == 2 and r.sb.counters.uploads == 2


def test_the_watch_loop_uploads_and_reports_an_undecodable_name(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    folder = r.folder("Drops")
    with watching(r.drop_folders(quiet=0)) as running:
        bytes_path(folder, b"caf\xe9.png")  # Latin-1, as an old camera or share names it
        (folder / "after.png").write_bytes(render_tiny_png(62))
        wait_until(lambda: sorted(r.titles_in("Drops")) == ["after", "caf\\xe9"],
                   "both files in the album")
        running.wait_steps(2)
    watch = subprocess.Popen([sys.executable, "-m", "imgur_sync", "watch"], env=r.env(),
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        bytes_path(folder, b"x\xff.png")
        wait_until(lambda: "x\\xff" in r.titles_in("Drops"), "the watch command to upload it")
    finally:
        watch.terminate()
        out, err = watch.communicate(timeout=30)
    assert "Traceback" not in err and "uploaded " in out and "x\\xff.png" in out


def test_run_keeps_uploading_past_an_undecodable_name(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    folder = r.folder("Drops")
    bytes_path(folder, b"bad\xff\xfe.png")
    daemon = subprocess.Popen([sys.executable, "-m", "imgur_sync", "run"], env=r.env(),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: "bad\\xff\\xfe" in r.titles_in("Drops"), "the first file")
        (folder / "later.png").write_bytes(render_tiny_png(63))  # the thread still runs
        wait_until(lambda: "later" in r.titles_in("Drops"), "a file dropped after it")
    finally:
        daemon.terminate()
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0 and "Traceback" not in err, err


def test_an_error_that_stops_the_loop_is_logged_recorded_and_the_loop_restarts(
        caplog: pytest.LogCaptureFixture) -> None:
    from imgur_sync.daemon import RESTART_FIRST, keep_running

    runs: list[int] = []
    crashes: list[Exception] = []
    waits: list[float] = []

    def loop() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise UnicodeEncodeError("utf-8", "bad\udcff", 3, 4, "surrogates not allowed")

    stop = threading.Event()
    with caplog.at_level(logging.ERROR, logger="imgur_sync.daemon"):
        keep_running("drop-folder watcher", loop, stop, on_crash=crashes.append,
                     wait=lambda s: bool(waits.append(s)))
    assert len(runs) == 3 and len(crashes) == 2
    assert waits == [RESTART_FIRST, RESTART_FIRST * 2]  # backoff between restarts
    logged = [r for r in caplog.records if "drop-folder watcher stopped" in r.getMessage()]
    assert len(logged) == 2 and all(r.exc_info for r in logged)  # with the traceback
    stop.set()
    keep_running("drop-folder watcher", loop, stop)  # stopped: it does not start again
    assert len(runs) == 3


# -- finding 10: many files, and an idle loop -----------------------------------------------------


def test_the_journal_is_indexed_by_path(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "keep")])
    plan = " ".join(row[-1] for row in r.store.db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM uploads WHERE path = ? ORDER BY id DESC LIMIT 1",
        ["/x"]))
    assert "USING INDEX" in plan and "SCAN" not in plan, plan


def test_an_idle_loop_does_not_query_the_journal(rig: RigFactory) -> None:
    r = rig([("drop", "Drops", "remove_from_album")])
    folder = r.folder("Drops")
    for n in range(20):
        (folder / f"known-{n}.png").write_bytes(render_tiny_png(700 + n))
    drop = r.drop_folders(quiet=0)
    statements: list[str] = []
    with watching(drop) as running:
        wait_until(lambda: len(r.titles_in("Drops")) == 20, "20 files in the album")
        running.wait_steps(2)
        r.store.db.conn.set_trace_callback(statements.append)  # SQLite's own hook
        try:
            running.wait_steps(3)
        finally:
            r.store.db.conn.set_trace_callback(None)
        assert statements == [], statements[:5]
        # And a new file still wakes it at once.
        (folder / "new.png").write_bytes(render_tiny_png(800))
        wait_until(lambda: "new" in r.titles_in("Drops"), "the new file in the album")
    album = r.album("Drops")
    assert album is not None and r.store.get_album_images(album.id) == album.image_ids


def test_a_long_round_announces_itself_and_reports_progress(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    with caplog.at_level(logging.INFO, logger="imgur_sync.dropfolders.uploader"):
        progress = Progress("uploading", "uploaded", 150, "file(s)", clock)
        for _ in range(150):
            clock.advance(1)
            progress.step()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "uploading 150 file(s)"
    assert lines[1:] == [f"uploaded {n} of 150 file(s)" for n in range(10, 150, 10)]
