"""New files and links appear whole under their final names, on either path ``files`` takes.

The unnamed-file path (``O_TMPFILE`` linked through ``/proc/self/fd``) is what a Linux
machine uses; the temporary-name path is what other systems use, forced here by telling the
placer the probe failed. Both must behave the same.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from imgur_sync.mirror.files import TEMP_PREFIX, LinkedFolder, Placer, sweep_partials, write_all


def placer(unnamed: bool) -> Placer:
    made = Placer()
    if not unnamed:
        made._unnamed = False  # as on a system without O_TMPFILE
    return made


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX))


PATHS = pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed", "temporary name"])


@PATHS
def test_a_new_file_is_invisible_until_published(tmp_path: Path, unnamed: bool) -> None:
    target = tmp_path / "deep" / "folder" / "a.png"
    files = placer(unnamed)
    with files.new_file(target) as new:
        write_all(new.fd, b"half")
        assert not target.exists()  # nothing under the final name while it is written
        write_all(new.fd, b" and the rest")
        new.publish(mtime=1_600_000_000)
    assert target.read_bytes() == b"half and the rest"
    assert target.stat().st_mtime == 1_600_000_000
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not private
    assert leftovers(tmp_path) == []
    if unnamed and files._unnamed:  # the machine supports it: no name was ever made
        assert os.stat(target).st_nlink == 1


@PATHS
def test_publishing_replaces_an_existing_file(tmp_path: Path, unnamed: bool) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    with placer(unnamed).new_file(target) as new:
        write_all(new.fd, b"new")
        new.publish()
    assert target.read_bytes() == b"new" and leftovers(tmp_path) == []


@PATHS
def test_a_file_abandoned_midway_leaves_nothing(tmp_path: Path, unnamed: bool) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(b"good copy")
    with pytest.raises(RuntimeError), placer(unnamed).new_file(target) as new:
        write_all(new.fd, b"partial")
        raise RuntimeError("the connection broke")
    assert target.read_bytes() == b"good copy" and leftovers(tmp_path) == []


def test_a_folder_without_unnamed_files_takes_the_temporary_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a mount inside the tree whose file system has no O_TMPFILE (NFS, FAT, CIFS).
    files = Placer()
    files._unnamed = True
    real_open = os.open

    def no_tmpfile(path: object, flags: int, *args: object) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(errno.EOPNOTSUPP, "Operation not supported")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", no_tmpfile)
    target = tmp_path / "a.png"
    with files.new_file(target) as new:
        assert new.temp is not None  # the named path
        write_all(new.fd, b"picture")
        new.publish()
    assert target.read_bytes() == b"picture" and leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", ["hardlink", "symlink", "copy"])
def test_links_are_made_new_and_over_old_files(tmp_path: Path, mode: str) -> None:
    source = tmp_path / "images" / "a.png"
    source.parent.mkdir()
    source.write_bytes(b"picture")
    files = Placer()
    fresh, stale, same = (tmp_path / "albums" / name for name in ("fresh", "stale", "same"))
    files.link(source, fresh, mode)
    stale.write_bytes(b"something else")
    files.link(source, stale, mode)
    files.link(source, same, mode)
    files.link(source, same, mode)  # again over the link it already is
    for link in (fresh, stale, same):
        assert link.read_bytes() == b"picture"
        assert link.is_symlink() == (mode == "symlink")
        assert (link.stat().st_ino == source.stat().st_ino) == (mode != "copy")
    assert leftovers(tmp_path) == []


def test_a_refused_hardlink_becomes_a_copy(tmp_path: Path) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or os.stat(other).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second file system (/dev/shm) to refuse a hard link")
    target = tmp_path / "albums" / "a.png"
    source = other / f"imgur-sync-test-{os.getpid()}.png"
    source.write_bytes(b"picture")
    try:
        Placer().link(source, target, "hardlink")
    finally:
        source.unlink()
    assert target.read_bytes() == b"picture" and not target.is_symlink()
    assert leftovers(tmp_path) == []


def test_folders_removed_meanwhile_are_made_again(tmp_path: Path) -> None:
    files, target = Placer(), tmp_path / "folder" / "a.txt"
    files.folder_for(target)
    target.parent.rmdir()
    files.forget_folders()
    with files.new_file(target) as new:
        write_all(new.fd, b"x")
        new.publish()
    assert target.read_bytes() == b"x"


@pytest.mark.parametrize("mode", ["hardlink", "symlink", "copy"])
def test_nothing_is_made_through_a_folder_that_is_a_symlink(tmp_path: Path, mode: str) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (root / "images").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "albums").symlink_to(elsewhere, target_is_directory=True)
    source = root / "images" / "a.png"
    source.write_bytes(b"a")
    files = Placer(root)
    for make in (lambda target: files.new_file(target),
                 lambda target: files.link(source, target, mode)):
        for target in (root / "albums" / "b.png", root / "albums" / "New [abc]" / "b.png"):
            with pytest.raises(LinkedFolder, match="the folder albums is a symbolic link"):
                make(target)
    assert list(elsewhere.iterdir()) == []
    files.link(source, root / "real" / "b.png", mode)  # a real folder is fine
    assert (root / "real" / "b.png").read_bytes() == b"a"


def test_sweep_removes_only_temporary_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / f"{TEMP_PREFIX}1234-0.part").write_bytes(b"")
    (tmp_path / "a" / "kept.png").write_bytes(b"")
    (tmp_path / f"{TEMP_PREFIX}note.txt").write_bytes(b"")  # not ours: no .part suffix
    assert sweep_partials(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["a", "kept.png", f"{TEMP_PREFIX}note.txt"])
