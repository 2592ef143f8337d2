"""The README's group setup works: a member of the group reads the mirror and drops files.

As the README says for the service: the mirror and the drop folder are setgid folders of a
group, imgur-sync runs under ``umask 0027``, and a second user in that group (made here
with ``useradd`` and removed afterwards) reads every mirrored file and saves a file into
the drop folder, which the next push uploads. Needs root (to make the user and act as it).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import sandbox_config

from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import render_tiny_png

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("groupadd", "useradd", "userdel", "groupdel", "setpriv")
ALBUM = "From the group"
UNIT = ROOT / "imgur_sync" / "data" / "systemd" / "imgur-sync.service"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in TOOLS),
    reason="needs root and groupadd/useradd/setpriv, to make a second user and act as it")


@dataclass
class Member:
    """A user made for the test, in the group ``group`` (a supplementary group, as usermod -aG)."""

    name: str
    group: str
    gid: int

    def run(self, *command: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        """Run ``command`` as this user, with its groups, under the usual umask 022."""
        uid, primary = pwd.getpwnam(self.name).pw_uid, pwd.getpwnam(self.name).pw_gid
        return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={primary}",
                               "--init-groups", "sh", "-c", "umask 022 && exec \"$@\"", "sh",
                               *command], input=stdin, capture_output=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "HOME": "/", "LC_ALL": "C"},
                              cwd="/")  # the checkout may be a private folder (CI's mktemp)


@pytest.fixture
def member() -> Iterator[Member]:
    suffix = secrets.token_hex(3)
    group, user = f"imgsync-g{suffix}", f"imgsync-u{suffix}"
    subprocess.run(["groupadd", group], check=True, capture_output=True)
    try:
        subprocess.run(["useradd", "--no-create-home", "--no-user-group", "--groups", group,
                        "--shell", "/usr/sbin/nologin", user], check=True, capture_output=True)
        try:
            yield Member(user, group, grp.getgrnam(group).gr_gid)
        finally:
            subprocess.run(["userdel", user], check=True, capture_output=True)
    finally:
        subprocess.run(["groupdel", group], check=True, capture_output=True)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder every user may pass through (pytest's tmp_path lies in a root-only folder)."""
    folder = Path(tempfile.mkdtemp(prefix="imgur-sync-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def _group_folder(path: Path, gid: int, mode: int) -> Path:
    """``install -d -m MODE -g GROUP PATH``."""
    path.mkdir()
    os.chown(path, -1, gid)
    path.chmod(mode)
    return path


def test_a_group_member_reads_the_mirror_and_drops_a_file_that_is_uploaded(
        start_sandbox: Callable[..., Sandbox], shared: Path, member: Member) -> None:
    sb = start_sandbox("demo")
    mirror = _group_folder(shared / "mirror", member.gid, 0o2750)
    drop = _group_folder(shared / "drop", member.gid, 0o2770)
    config = sandbox_config(shared / "config.toml", sb, mirror, uploads=[(drop, ALBUM, "keep")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(PYTHONPATH=str(ROOT), IMGUR_SYNC_CONFIG=str(config),
               STATE_DIRECTORY=str(shared / "state"))

    # The umask the shipped service runs with (UMask=0027).
    (umask,) = re.findall(r"^UMask=([0-7]+)$", UNIT.read_text(), re.MULTILINE)

    def imgur_sync(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "imgur_sync", *args], env=env,
                                umask=int(umask, 8), capture_output=True, text=True,
                                timeout=90)
        assert result.returncode == 0, result.stderr
        return result

    imgur_sync("pull")
    files = sorted(str(p) for p in mirror.rglob("*") if p.is_file() and not p.is_symlink())
    assert len(files) > 10
    for path in [mirror, *mirror.rglob("*")]:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        assert info.st_gid == member.gid, path  # the setgid folders hand the group down
        assert stat.S_IMODE(info.st_mode) & 0o007 == 0, path  # others: nothing
    # The member reads every file (find fails on a folder it cannot open; cat on a file).
    read = member.run("find", str(mirror), "-type", "f", "-exec", "cat", "{}", "+")
    assert read.returncode == 0 and read.stderr == b"", read.stderr
    listed = member.run("find", str(mirror), "-type", "f")
    assert sorted(listed.stdout.decode().split("\n")[:-1]) == files
    # The member drops a file; it belongs to the group, so the service's group can read it.
    picture = render_tiny_png(2718)
    wrote = member.run("sh", "-c", f"cat > '{drop}/from-member.png'", stdin=picture)
    assert wrote.returncode == 0, wrote.stderr
    dropped = (drop / "from-member.png").stat()
    assert dropped.st_gid == member.gid and dropped.st_mode & stat.S_IRGRP
    pushed = imgur_sync("push")
    assert "Uploaded 1 file(s)" in pushed.stdout
    album = next(a for a in sb.world.albums_of(sb.username) if a.title == ALBUM)
    assert len(album.image_ids) == 1
    # Its copy in the mirror is as readable by the group as the rest.
    copies = [p for p in mirror.rglob("from-member*.png") if p.is_file()]  # not its .xmp
    assert copies and member.run("cat", *map(str, copies)).stdout == picture * len(copies)
