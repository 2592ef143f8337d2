"""The watcher's pure parts: when a file counts as whole, and StabilityTracker on a fake clock."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from imgur_sync.dropfolders.watcher import StabilityTracker, media_complete
from imgur_sync.sandbox.media import render_tiny_png

QUIET, PATIENCE = 1.0, 30.0


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def box(kind: bytes, body: bytes = b"") -> bytes:
    """One MP4 box: 32-bit size, type, body."""
    return struct.pack(">I4s", 8 + len(body), kind) + body


MP4 = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2") + box(b"mdat", b"\x00" * 64) + box(
    b"moov", box(b"mvhd", b"\x00" * 100))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"
GIF = b"GIF89a" + b"\x00" * 30 + b"\x3b"
WEBP_BODY = b"WEBPVP8 " + b"\x00" * 20
WEBP = b"RIFF" + struct.pack("<I", len(WEBP_BODY)) + WEBP_BODY


@pytest.mark.parametrize(("name", "data"), [
    ("png", render_tiny_png(1)), ("jpeg", JPEG), ("gif", GIF), ("webp", WEBP), ("mp4", MP4)])
def test_whole_media_files_look_complete_and_cut_ones_do_not(tmp_path: Path, name: str,
                                                             data: bytes) -> None:
    path = tmp_path / f"x.{name}"
    path.write_bytes(data)
    assert media_complete(path) is True
    for cut in (len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        assert media_complete(path) is False, cut


def test_an_mp4_needs_its_moov_and_boxes_that_add_up(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4[:-len(box(b"moov", box(b"mvhd", b"\x00" * 100)))])  # still recording
    assert media_complete(path) is False
    path.write_bytes(MP4 + b"\x00\x00")  # trailing bytes that are no box
    assert media_complete(path) is False
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + 8) + b"\x00" * 8  # a 64-bit box size
    path.write_bytes(box(b"ftyp", b"isom") + large + box(b"moov"))
    assert media_complete(path) is True


def test_formats_that_cannot_tell_and_other_files(tmp_path: Path) -> None:
    bmp = tmp_path / "x.bmp"
    bmp.write_bytes(b"BM" + b"\x00" * 60)
    assert media_complete(bmp) is None
    short = tmp_path / "new.png"
    short.write_bytes(b"\x89PN")  # the first bytes have not all arrived: can't tell yet
    assert media_complete(short) is None
    text = tmp_path / "notes.png"
    text.write_text("not a picture\n")
    assert media_complete(text) is True  # no media at all: the uploader refuses it at once
    assert media_complete(tmp_path / "missing.png") is None
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert media_complete(fifo) is True  # returns at once: nothing to wait for


def tracker(clock: Clock) -> StabilityTracker:
    return StabilityTracker(QUIET, clock=clock, patience=PATIENCE)


def test_a_whole_file_is_ready_when_closed_or_after_quiet(tmp_path: Path) -> None:
    clock = Clock()
    track = tracker(clock)
    closed, quiet = tmp_path / "closed.png", tmp_path / "quiet.png"
    closed.write_bytes(render_tiny_png(1))
    quiet.write_bytes(render_tiny_png(2))
    track.touch(closed, closed=True)
    track.touch(quiet)
    assert track.due() == [closed]
    assert track.wait() == QUIET
    clock.now += QUIET * 0.9
    assert track.due() == [] and track.pending() == 1
    clock.now += QUIET * 0.1
    assert track.due() == [quiet] and track.pending() == 0 and track.wait() is None


def test_a_cut_file_waits_for_patience_even_when_closed(tmp_path: Path) -> None:
    clock = Clock()
    track = tracker(clock)
    path = tmp_path / "slow.png"
    data = render_tiny_png(3)
    path.write_bytes(data[:40])
    track.touch(path, closed=True)  # a writer that closes between pieces
    assert track.due() == []
    clock.now += QUIET * 5
    assert track.due() == [] and track.wait() == PATIENCE - QUIET * 5
    with path.open("ab") as out:  # the next piece: the quiet period starts again
        out.write(data[40:60])
    os.utime(path, ns=(1, 1))
    assert track.due() == []
    clock.now += PATIENCE - 1
    assert track.due() == []
    clock.now += 1
    assert track.due() == [path]  # quiet that long: taken as it is


def test_a_file_completed_later_is_ready_once_it_is_whole(tmp_path: Path) -> None:
    clock = Clock()
    track = tracker(clock)
    path = tmp_path / "slow.png"
    data = render_tiny_png(4)
    path.write_bytes(data[:-12])
    track.touch(path)
    clock.now += QUIET
    assert track.due() == []
    path.write_bytes(data)
    os.utime(path, ns=(2, 2))
    track.touch(path, closed=True)
    assert track.due() == [path]


def test_a_file_of_unknown_format_is_ready_when_closed_or_after_patience(tmp_path: Path) -> None:
    clock = Clock()
    track = tracker(clock)
    closed, open_ = tmp_path / "a.bmp", tmp_path / "b.bmp"
    for path in (closed, open_):
        path.write_bytes(b"BM" + b"\x00" * 60)
    track.touch(closed, closed=True)
    track.touch(open_)
    assert track.due() == [closed]
    clock.now += QUIET
    assert track.due() == []
    clock.now += PATIENCE
    assert track.due() == [open_]


def test_quiet_for_counts_time_before_the_start_and_gone_files_are_dropped(
        tmp_path: Path) -> None:
    clock = Clock()
    track = tracker(clock)
    old, cut, gone = tmp_path / "old.png", tmp_path / "cut.png", tmp_path / "gone.png"
    old.write_bytes(render_tiny_png(5))
    cut.write_bytes(render_tiny_png(6)[:30])
    gone.write_bytes(render_tiny_png(7))
    track.touch(old, quiet_for=QUIET * 2)
    track.touch(cut, quiet_for=PATIENCE + 1)
    track.touch(gone)
    gone.unlink()
    assert track.due() == [cut, old] and track.pending() == 0
    track.touch(gone)  # already gone when noticed: not tracked at all
    assert track.pending() == 0
