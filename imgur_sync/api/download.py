"""Save a media link to a file: streamed, checked for completeness, written atomically.

The bytes go to a temporary file beside the target and are renamed into place only once the
whole body has arrived, so a reader never sees half an image and an interrupted download
leaves nothing behind. A body shorter than its ``Content-Length`` (a dropped connection) is
fetched again with the transport's backoff.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from typing import IO, TYPE_CHECKING

from .errors import BrokenDownload, TransportError

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["save_media", "valid_filename"]

CHUNK = 64 * 1024
NAME_MAX = 255  # bytes in one file name on the common file systems


def valid_filename(name: str) -> bool:
    """Return whether ``name`` can be one file name in a folder (no separators, not too long)."""
    if not name or name in (".", "..") or "\0" in name or "/" in name:
        return False
    if (os.altsep and os.altsep in name) or os.sep in name:
        return False
    try:
        return len(os.fsencode(name)) <= NAME_MAX
    except UnicodeError:
        return False


def save_media(transport: Transport, url: str, folder: str, names: list[str], *,
               overwrite: bool = False) -> str:
    """Download ``url`` into ``folder`` under the first of ``names`` the system accepts.

    Returns the path written (``folder`` joined with the name). Raises ``FileExistsError``
    when that file exists and ``overwrite`` is false, and ``MediaRemoved`` when Imgur has
    removed the media.
    """
    if not names:
        raise ValueError("save_media needs at least one file name")
    if not overwrite:
        _refuse_existing(os.path.join(folder, names[0]))
    # Not mkstemp: its 0600 mode would make every download private; this honours the umask.
    temp = os.path.join(folder, f".imgur-{uuid.uuid4().hex}.part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(transport, url, out)
        error: OSError | None = None
        for name in names:
            target = os.path.join(folder, name)
            if not overwrite:
                _refuse_existing(target)
            try:
                os.replace(temp, target)
            except OSError as exc:  # a name this file system refuses: try the next one
                if isinstance(exc, FileExistsError):
                    raise
                error = exc
                continue
            return target
        assert error is not None
        raise error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _refuse_existing(target: str) -> None:
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "Trying to save the image, but the file already "
                              "exists (pass overwrite=True to replace it)", target)


def _stream(transport: Transport, url: str, out: IO[bytes]) -> None:
    """Write the body of ``url`` to ``out``, fetching again when it arrives cut short."""
    attempts = max(1, transport.retry.attempts)
    for attempt in range(attempts):
        response = transport.open_media(url)  # MediaRemoved and HTTP errors raise here
        try:
            out.seek(0)
            out.truncate()
            expected = response.headers.get("Content-Length")
            if response.headers.get("Content-Encoding"):
                expected = None  # the length counts the encoded bytes, not what we read
            written = 0
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                written += len(chunk)
            if expected is None or not expected.isdigit() or written == int(expected):
                out.flush()
                return
            error = TransportError(f"The download stopped after {written} of {expected} bytes",
                                   method="GET", path=url)
        except BrokenDownload as exc:
            error = exc
        finally:
            response.close()
        if attempt + 1 < attempts:
            transport.sleep(transport.retry.backoff(attempt, transport.random()))
    raise error
