"""Small test doubles shared by several test modules (plain classes, no fixtures)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from imgur_sync.sandbox import Sandbox


class FakeClock:
    """A clock tests move by hand; ``sleep`` advances it instead of waiting."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move time on by it."""
        self.slept.append(seconds)
        self.now += seconds


def sandbox_config(path: Path, sb: Sandbox, root: Path, *,
                   uploads: Iterable[tuple[Path, str, str]] = (), api_url: str | None = None,
                   **mirror: str | int | bool) -> Path:
    """Write a config for the sandbox ``sb``: the mirror at ``root``, optional drop folders
    ``(folder, album, on_local_delete)`` and extra ``[mirror]`` keys; return its path.

    ``api_url`` sends the same credentials elsewhere (a host that is down, say)."""
    lines = ["[imgur]", f'api_url = "{api_url or sb.url}"', f'client_id = "{sb.client_id}"',
             f'client_secret = "{sb.client_secret}"', f'refresh_token = "{sb.refresh_token}"',
             "", "[mirror]", f'root = "{root}"']
    # The gallery (its pages and one thumbnail download per image) is off unless a test asks
    # for it: the other tests count files and media requests of the tree itself.
    mirror = {"gallery": False, **mirror}
    lines += [f"{key} = {str(value).lower()}" if isinstance(value, bool) else
              f"{key} = {value}" if isinstance(value, int) else f'{key} = "{value}"'
              for key, value in mirror.items()]
    for folder, album, on_delete in uploads:
        lines += ["", "[[upload]]", f'path = "{folder}"', f'album = "{album}"',
                  f'on_local_delete = "{on_delete}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def web_post_ids(sb: Sandbox) -> list[str]:
    """Ids of the account's web-API posts, newest first: every album and each image in none."""
    world = sb.world
    albums = world.albums_of(sb.username)
    in_albums = {i for album in albums for i in album.image_ids}
    posts = [*albums, *(i for i in world.images_of(sb.username) if i.id not in in_albums)]
    return [p.id for p in sorted(posts, key=lambda p: (p.datetime, p.seq), reverse=True)]


@contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """Mount a tmpfs with ``options`` at the new ``folder`` for the block (needs the right to
    mount: root); skip the test where that cannot be done."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({options}) here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
