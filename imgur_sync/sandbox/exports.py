"""What the sandbox hands out as files: a browser's cookies.txt and the account's export zip."""

from __future__ import annotations

import time
import zipfile
from http.cookiejar import Cookie, MozillaCookieJar
from pathlib import Path
from typing import BinaryIO

from .media import image_bytes
from .state import World

COOKIE_DOMAIN = ".imgur.com"


def write_cookies(path: str | Path, token: str, expires: int) -> None:
    """Write a Netscape cookies.txt holding ``accesstoken``, as a browser extension exports it."""
    jar = MozillaCookieJar(str(path))
    jar.set_cookie(Cookie(
        version=0, name="accesstoken", value=token, port=None, port_specified=False,
        domain=COOKIE_DOMAIN, domain_specified=True, domain_initial_dot=True, path="/",
        path_specified=True, secure=True, expires=expires, discard=False, comment=None,
        comment_url=None, rest={}))
    Path(path).touch(mode=0o600)  # a session secret: only its owner may read it
    Path(path).chmod(0o600)
    jar.save()


def export_names(world: World, username: str) -> list[tuple[str, bytes, int]]:
    """``(name, bytes, epoch)`` per image the account owns, named ``N - <id>.<ext>``."""
    images = [i for i in reversed(world.images_of(username)) if not i.removed]
    return [(f"{n} - {image.id}.{image.ext}", image_bytes(image), image.datetime)
            for n, image in enumerate(images, start=1)]


def write_export(world: World, username: str, out: BinaryIO) -> None:
    """Write Imgur's "Download account images" zip: one flat file per image, nothing else."""
    with world.lock:
        files = export_names(world, username)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data, epoch in files:
            # Zip times start in 1980; sandbox dates are later, but clamp to stay valid.
            stamp = time.gmtime(max(epoch, 315532800))[:6]
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data)
