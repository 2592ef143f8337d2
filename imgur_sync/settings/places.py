"""The folders a config names, checked on disk before any command does work in them.

``config.py`` reads the file without touching the disk (but for symlinks); here the mirror
root and the state directory are checked writable, and the drop folders present, so a
command refuses with the key and the fix (exit code 2) instead of failing halfway: a pull
with a traceback, a watcher that made an album for a folder that was never there.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Collection
from pathlib import Path

from ..errors import UsageError
from .config import Config, ConfigError

__all__ = ["check_places", "require_drop_folders", "unwritable"]

PROBE_PREFIX = ".imgur-sync-probe-"


def unwritable(folder: Path) -> str | None:
    """Say why ``folder`` cannot be made or written into; None when it can.

    A folder that does not exist yet is judged by the nearest one above it that does. The
    answer comes from a real try (a folder made and removed there): permission bits alone
    say nothing for root, nor for a read-only mount.
    """
    for path in (folder, *folder.parents):
        try:
            mode = path.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            if path.is_symlink():  # mkdir cannot make a folder where a link points nowhere
                what = "is" if path == folder else f"lies under {path}, which is"
                return f"{what} a symbolic link to {os.readlink(path)}, which does not exist"
            continue
        except OSError as exc:
            return f"cannot be reached ({exc.strerror} at {path})"
        if not stat.S_ISDIR(mode):
            return "is a file" if path == folder else f"lies under {path}, which is a file"
        try:
            os.rmdir(tempfile.mkdtemp(prefix=PROBE_PREFIX, dir=path))
        except OSError as exc:
            where = "" if path == folder else f" in {path}, where it would be made"
            verb = "written" if path == folder else "made"
            return f"cannot be {verb} ({exc.strerror}{where})"
        return None
    return "has no folder above it that exists"


def require_drop_folders(config: Config, *, uploaded_from: Collection[Path] = (),
                         create: bool = False) -> None:
    """Refuse (ConfigError) drop folders that are not there; make them when ``create``.

    A missing folder that files were uploaded from (``uploaded_from`` holds their paths) is
    an unmounted share: it passes, and the drop-folder loop holds its deletions back.
    """
    problems = []
    for number, upload in enumerate(config.uploads, start=1):
        folder = upload.path
        if folder.is_dir() or any(path.is_relative_to(folder) for path in uploaded_from):
            continue
        key = f"upload[{number}].path"
        if folder.exists() or folder.is_symlink():
            problems.append(f"{key}: {folder} is not a folder. Fix: point {key} at a folder, "
                            "or move that file away")
        elif not create:
            problems.append(
                f"{key}: {folder} does not exist. Fix: create it (`mkdir -p {folder}`), or give "
                "--create-folders to `watch`, `push` or `run` to have it made, or correct "
                "the path")
        else:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                problems.append(f"{key}: {folder} cannot be made ({exc.strerror}). Fix: point "
                                f"{key} at a folder this user may create or write")
    if problems:
        raise ConfigError(problems, config.path)


def check_places(config: Config, state: Path) -> None:
    """Refuse a mirror root or a state directory that cannot be made or written (exit 2)."""
    problem = unwritable(config.mirror.root)
    if problem is not None:
        raise ConfigError([f"mirror.root: {config.mirror.root} {problem}. Fix: point "
                           "mirror.root at a folder this user may write, or move what is in "
                           "the way"], config.path)
    problem = unwritable(state)
    if problem is not None:
        raise UsageError(
            f"The state directory {state} {problem}: it holds the sign-in and the database. "
            "Point $STATE_DIRECTORY or $XDG_STATE_HOME at a folder this user may write "
            "(under systemd, StateDirectory= makes one)")
