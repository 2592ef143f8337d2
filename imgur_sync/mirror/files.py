"""New files that appear under their final names whole, for as few system calls as can be.

A crash must never leave part of a file under a final name (docs/ARCHITECTURE.md §Pull). The
classic way is
a temporary file beside the target renamed over it, and that is what replaces an existing
file here. A *new* name needs less, and a cold pull makes only new names, tens of thousands
of them, where each folder change costs the kernel more than the download costs us:

- downloads are written to an unnamed file (Linux ``O_TMPFILE``) that gets its name in one
  ``link`` once it is complete; a crash leaves nothing to sweep;
- hard links and symlinks are atomic already, so a new one is made under its final name.

Where ``O_TMPFILE`` or ``/proc/self/fd`` is missing (another system, an old file system, a
sandbox without /proc) the temporary-name path is used for everything, so nothing differs
but speed.

Nothing is written through a folder inside the tree that is a symbolic link (one planted
there would lead writes outside the tree): each folder is checked once, with ``lstat``
from the root down, before anything goes into it.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import itertools
import logging
import os
import secrets
import shutil
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["TEMP_PREFIX", "TEMP_SUFFIX", "LinkedFolder", "NewFile", "Placer", "clone_into",
           "linked_folder", "make_link", "sweep_partials", "write_all"]

log = logging.getLogger(__name__)

TEMP_PREFIX = ".imgur-sync-"
TEMP_SUFFIX = ".part"
_FICLONE = 0x40049409  # Linux's ioctl that shares a file's blocks (btrfs, XFS): a reflink
_COPY_CHUNK = 1 << 20


def sweep_partials(root: Path) -> int:
    """Delete temporary files a crash left in the tree; return how many."""
    swept = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX):
                Path(folder, name).unlink(missing_ok=True)
                swept += 1
    return swept


class LinkedFolder(OSError):
    """A folder inside the tree is a symbolic link; ``folder`` is its path under the root."""

    def __init__(self, folder: str) -> None:
        super().__init__(f"the folder {folder} is a symbolic link, and imgur-sync does not "
                         "write through one: replace it with a real folder")
        self.folder = folder


def linked_folder(root: Path, path: Path, real: set[Path] | None = None) -> str | None:
    """Return the first folder from ``root`` down to ``path``'s that is a symbolic link.

    The answer is its path under ``root``; None when there is none (folders not made yet
    are none). ``real`` holds folders already found real, and gains those found now.
    """
    folder, chain = path.parent, []
    while folder != root and (real is None or folder not in real):
        if folder.parent == folder:
            return None  # not under root: not this tree's to judge
        chain.append(folder)
        folder = folder.parent
    for folder in reversed(chain):
        try:
            mode = os.lstat(folder).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None  # made when needed: a new folder is no link
        if stat.S_ISLNK(mode):
            return folder.relative_to(root).as_posix()
        if real is not None:
            real.add(folder)
    return None


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a descriptor (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def clone_into(source: int, target: int) -> None:
    """Copy the whole file open as ``source`` into the empty file open as ``target``.

    A reflink where the file system has them (no data is copied, yet the two files are
    independent), else an in-kernel copy, else a plain one.
    """
    try:
        fcntl.ioctl(target, _FICLONE, source)
        return
    except OSError:
        pass
    if hasattr(os, "copy_file_range"):
        try:
            while os.copy_file_range(source, target, _COPY_CHUNK):
                pass
            return
        except OSError:  # across file systems on an old kernel, or a file system without it
            pass
    while chunk := os.read(source, _COPY_CHUNK):  # carries on where the kernel stopped
        write_all(target, chunk)


class NewFile:
    """A file being written for ``target``: write to :attr:`fd`, then :meth:`publish`.

    Leaving the ``with`` block without publishing discards it.
    """

    def __init__(self, placer: Placer, target: Path, fd: int, temp: Path | None) -> None:
        self.placer, self.target, self.fd, self.temp = placer, target, fd, temp
        self._open = True

    def __enter__(self) -> NewFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:
            self._close()
            if self.temp is not None:
                self.temp.unlink(missing_ok=True)

    def _close(self) -> None:
        self._open = False
        os.close(self.fd)

    def publish(self, mtime: float | None = None) -> None:
        """Give the finished file its name (replacing what was there) and close it."""
        if mtime is not None:
            os.utime(self.fd, (mtime, mtime))
        try:
            if self.temp is None:  # unnamed: one link when the name is free
                try:
                    _link_unnamed(self.fd, self.target)
                    return
                except FileExistsError:  # replacing a file: name it, then rename over
                    self.temp = self.placer.temp_for(self.target)
                    _link_unnamed(self.fd, self.temp)
        finally:
            self._close()
        self.placer.place(self.temp, self.target)


class Placer:
    """Make folders, new files and links under one tree; safe to share between threads.

    Given the tree's ``root``, it refuses (:class:`LinkedFolder`) paths whose folder under
    the root is, or lies in, a symbolic link.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._folders: set[Path] = set()  # folders known to exist: no mkdir for each file
        self._real: set[Path] = set()  # folders under root known to be no symbolic link
        self._names = (f"{TEMP_PREFIX}{secrets.token_hex(4)}-{n}{TEMP_SUFFIX}"
                       for n in itertools.count())
        self._lock = threading.Lock()
        self._unnamed: bool | None = None  # O_TMPFILE + /proc linking works here (probed)

    def check(self, path: Path) -> None:
        """Raise :class:`LinkedFolder` if ``path`` is reached through a symbolic link."""
        if self.root is not None and path.parent not in self._real:
            with self._lock:
                linked = linked_folder(self.root, path, self._real)
            if linked is not None:
                raise LinkedFolder(linked)

    def folder_for(self, target: Path) -> Path:
        """Make sure ``target``'s folder exists; return it."""
        folder = target.parent
        if folder not in self._folders:
            self.check(target)
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        return folder

    def forget_folders(self) -> None:
        """Folders may have been removed or replaced: check again before writing into them."""
        self._folders.clear()
        self._real.clear()

    def temp_for(self, target: Path) -> Path:
        """Return an unused temporary name beside ``target`` (its folder is made if needed)."""
        folder = self.folder_for(target)
        with self._lock:
            return folder / next(self._names)

    @staticmethod
    def place(temp: Path, target: Path, *, may_be_same_file: bool = False) -> None:
        """Move a finished temporary file over ``target``; delete it if that fails.

        ``rename`` does nothing when both names are hard links to one file (a link made
        again after a crash), so then the temporary name is removed afterwards.
        """
        try:
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if may_be_same_file:
            temp.unlink(missing_ok=True)

    def new_file(self, target: Path) -> NewFile:
        """Open a file for ``target`` that nobody sees under that name until published."""
        folder = self.folder_for(target)
        if self._unnamed is None:
            self._unnamed = _probe_unnamed(folder)
        if self._unnamed:
            try:
                fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
                return NewFile(self, target, fd, None)
            except OSError as exc:  # a folder on another file system (a mount point inside)
                if exc.errno not in _UNSUPPORTED:
                    raise
        temp = self.temp_for(target)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        return NewFile(self, target, fd, temp)

    def link(self, source: Path, target: Path, mode: str) -> None:
        """Make ``target`` a ``mode`` link to ``source`` (a refused hardlink is a copy)."""
        self.folder_for(target)
        if mode in ("hardlink", "symlink"):
            try:  # a new name: a link appears whole by itself
                if mode == "symlink":
                    target.symlink_to(os.path.relpath(source, target.parent))
                else:
                    os.link(source, target)
                return
            except FileExistsError:
                pass  # replace it below
            except OSError as exc:
                if mode == "symlink":
                    raise
                log.debug("hardlink failed (%s); copying %s", exc.strerror, source)
                mode = "copy"
        temp = self.temp_for(target)
        try:
            make_link(source, temp, mode)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        self.place(temp, target, may_be_same_file=mode == "hardlink")


def make_link(source: Path, name: Path, mode: str) -> None:
    """Make the new name ``name`` a ``mode`` link to ``source``; a refused hardlink copies."""
    if mode == "symlink":
        name.symlink_to(os.path.relpath(source, name.parent))
        return
    if mode == "hardlink":
        try:
            os.link(source, name)
            return
        except OSError as exc:  # another file system, or links not allowed: copy
            log.debug("hardlink failed (%s); copying %s", exc.strerror, source)
    shutil.copy2(source, name)


def _linkat() -> Callable[..., int] | None:
    """libc's ``linkat``, which ``os.link`` only calls with a directory descriptor."""
    if not sys.platform.startswith("linux") or not hasattr(os, "O_TMPFILE"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).linkat
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_LINKAT = _linkat()
# What open(O_TMPFILE) answers where the file system cannot make unnamed files.
_UNSUPPORTED = frozenset({errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL})
_AT_FDCWD, _AT_SYMLINK_FOLLOW = -100, 0x400  # Linux's values


def _link_unnamed(fd: int, name: Path) -> None:
    """Give the unnamed file open as ``fd`` the name ``name`` (it must be free)."""
    assert _LINKAT is not None
    # The magic link /proc/self/fd/N leads to the open file itself when followed.
    if _LINKAT(_AT_FDCWD, f"/proc/self/fd/{fd}".encode(), _AT_FDCWD, os.fsencode(name),
               _AT_SYMLINK_FOLLOW) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), str(name))


def _probe_unnamed(folder: Path) -> bool:
    """Whether an unnamed file can be made in ``folder`` and then linked to a name."""
    if _LINKAT is None:
        return False
    probe = folder / f"{TEMP_PREFIX}probe-{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
    except OSError:
        return False
    try:
        _link_unnamed(fd, probe)
    except OSError as exc:
        log.debug("unnamed files cannot be linked here (%s): using temporary names", exc)
        return False
    finally:
        os.close(fd)
    probe.unlink(missing_ok=True)
    return True


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless it holds exactly that; True if written.

    Pages and sidecars are rewritten only when their bytes change, so a pull that changed
    nothing touches no file (and backup tools see nothing new).
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with 0666 so the umask (not a fixed mode) decides who may read it.
    tmp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
