"""Folders a config names that cannot work are refused up front: exit code 2, the key, the fix.

Each case runs the real command against the sandbox: a mirror root or state directory that
cannot be made or written, a drop folder that does not exist, one inside the mirror. Tests
run as root, where permission bits stop no write; the unwritable places are made with a
regular file in the way, with /proc (where nothing can be made, root or not) and, where
this machine lets root mount, with a read-only tmpfs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import sandbox_config, tmpfs

from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import render_tiny_png

ROOT = Path(__file__).resolve().parents[1]
ALBUM = "Dropped"
# `watch` and `run` would never end if the check let them start: a bound, not a wait.
TIMEOUT = 30


class Setup:
    """A sandbox account whose config and environment a test bends out of shape."""

    def __init__(self, sb: Sandbox, tmp: Path) -> None:
        self.sb, self.tmp = sb, tmp
        self.mirror, self.drop, self.state = tmp / "mirror", tmp / "drop", tmp / "state"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
        self.env.update(PYTHONPATH=str(ROOT), STATE_DIRECTORY=str(self.state),
                        HOME=str(tmp / "home"))
        self.write()

    def write(self, *, root: Path | None = None, drop: Path | None = None) -> Path:
        self.config = sandbox_config(self.tmp / "config.toml", self.sb, root or self.mirror,
                                     uploads=[(drop or self.drop, ALBUM, "keep")])
        return self.config

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "imgur_sync", "--config", str(self.config),
                               *args], capture_output=True, text=True, env=self.env, cwd=ROOT,
                              timeout=TIMEOUT)

    def albums(self) -> list[str]:
        return sorted(album.title or "" for album in self.sb.world.albums_of(self.sb.username))

    def refused(self, *args: str) -> str:
        """Run a command that must be refused; return its error output."""
        before = self.albums()
        result = self.run(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""
        assert sum(line.startswith("Error: ") for line in result.stderr.splitlines()) == 1
        assert self.albums() == before  # nothing made on the account
        return result.stderr


@pytest.fixture
def setup(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Setup:
    return Setup(start_sandbox("demo"), tmp_path)


COMMANDS = [("config", "check"), ("pull",), ("push",), ("watch",), ("run",), ("verify",),
            ("import", "export.zip"), ("auth", "--cookies", "cookies.txt")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_mirror_root_under_a_file_is_refused_by_every_command(setup: Setup,
                                                                 command: tuple[str]) -> None:
    setup.drop.mkdir()
    blocker = setup.tmp / "blocker"
    blocker.write_text("a file where a folder should be")
    setup.write(root=blocker / "mirror")
    error = setup.refused(*command)
    assert (f"mirror.root: {blocker / 'mirror'} lies under {blocker}, which is a file. Fix: "
            "point mirror.root at a folder this user may write") in error
    assert not setup.state.exists()  # refused before anything was made


def test_a_mirror_root_where_nothing_can_be_made_is_refused(setup: Setup) -> None:
    setup.drop.mkdir()
    root = Path("/proc/imgur-sync-test/mirror")  # even root cannot make a folder in /proc
    setup.write(root=root)
    for command in (("config", "check"), ("pull",)):
        error = setup.refused(*command)
        assert f"mirror.root: {root} cannot be made (" in error
        assert "in /proc, where it would be made" in error


def test_a_mirror_root_that_is_a_dangling_link_is_refused(setup: Setup) -> None:
    setup.drop.mkdir()
    setup.mirror.symlink_to(setup.tmp / "unmounted")  # a link to a share not mounted yet
    error = setup.refused("pull")
    assert (f"mirror.root: {setup.mirror} is a symbolic link to {setup.tmp / 'unmounted'}, "
            "which does not exist. Fix:") in error


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A read-only tmpfs: the mount a read-only disk or share gives, which binds root too."""
    with tmpfs(tmp_path / "read-only", "ro,size=1m") as folder:
        yield folder


def test_a_mirror_root_on_a_read_only_mount_is_refused(setup: Setup, read_only: Path) -> None:
    setup.drop.mkdir()
    setup.write(root=read_only)
    error = setup.refused("pull")
    assert f"mirror.root: {read_only} cannot be written (Read-only file system)" in error


def test_a_state_directory_that_cannot_be_made_is_refused(setup: Setup) -> None:
    setup.drop.mkdir()
    blocker = setup.tmp / "blocker"
    blocker.write_text("a file where a folder should be")
    setup.env["STATE_DIRECTORY"] = str(blocker / "state")
    for command in (("config", "check"), ("pull",), ("push",), ("auth", "--cookies", "x.txt")):
        error = setup.refused(*command)
        assert (f"The state directory {blocker / 'state'} lies under {blocker}, which is a "
                "file") in error
        assert "$STATE_DIRECTORY or $XDG_STATE_HOME" in error
    setup.env["STATE_DIRECTORY"] = "/proc/imgur-sync-test/state"
    assert "cannot be made" in setup.refused("pull")
    assert not setup.mirror.exists()


@pytest.mark.parametrize("command", [("config", "check"), ("push",), ("watch",), ("run",)],
                         ids=" ".join)
def test_a_drop_folder_that_does_not_exist_is_refused(setup: Setup, command: tuple[str]) -> None:
    error = setup.refused(*command)
    assert (f"upload[1].path: {setup.drop} does not exist. Fix: create it (`mkdir -p "
            f"{setup.drop}`), or give --create-folders") in error
    assert not setup.drop.exists()


def test_create_folders_makes_the_drop_folder_and_push_uploads_into_it(setup: Setup) -> None:
    assert setup.run("pull").returncode == 0  # a pull does not need the drop folders
    assert not setup.drop.exists()
    first = setup.run("push", "--create-folders")
    assert first.returncode == 0, first.stderr
    assert setup.drop.is_dir() and "Uploaded 0 file(s)" in first.stdout
    (setup.drop / "cat.png").write_bytes(render_tiny_png(31))
    second = setup.run("push")
    assert second.returncode == 0, second.stderr
    assert "Uploaded 1 file(s)" in second.stdout and ALBUM in setup.albums()


@pytest.mark.parametrize("command", [("config", "check"), ("push",), ("watch",)], ids=" ".join)
def test_a_drop_folder_inside_the_mirror_is_refused(setup: Setup, command: tuple[str]) -> None:
    inside = setup.mirror / "albums" / "drop"
    inside.mkdir(parents=True)
    setup.write(drop=inside)
    error = setup.refused(*command)
    assert (f"upload[1].path: {inside} is inside mirror.root {setup.mirror}, so pulled files "
            "would be uploaded again. Fix: use a drop folder outside mirror.root") in error
