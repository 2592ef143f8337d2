"""Reading the ``accesstoken`` cookie out of a browser's Netscape ``cookies.txt`` export.

The file is the one browser extensions export and gallery-dl and yt-dlp read. Some
extensions leave out its first line (``# Netscape HTTP Cookie File``); such a file is read
all the same. Errors name the file and the fix, never the cookie's value.
"""

from __future__ import annotations

import io
import re
import time
import warnings
from datetime import datetime, timezone
from http.cookiejar import LoadError, MozillaCookieJar
from pathlib import Path

from ..api.probes import COOKIE_NAME
from ..errors import UsageError

__all__ = ["FRESH_COOKIES", "check_token_text", "read_cookie_file"]

FRESH_COOKIES = "export fresh cookies from a browser signed in to imgur.com"
_TOKEN = re.compile(r"[!#-+\--:<-\[\]-~]{1,4096}")  # a cookie value: printable, no ; , " \ space


def read_cookie_file(path: Path, now: float | None = None) -> str:
    """Return the imgur.com ``accesstoken`` cookie's value from the cookies.txt at ``path``."""
    again = f"run `imgur-sync auth --cookies {path}` again"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = None
    except OSError as exc:
        raise UsageError(f"Cannot read the cookies file {path} ({exc.strerror or exc}); "
                         f"{FRESH_COOKIES} and {again}") from None
    jar = MozillaCookieJar()
    if text is not None:
        text = _mend(text, jar)
    try:
        if text is None:
            raise LoadError("not text")
        # The jar reads only files by name; its reader takes the (possibly mended) text. On a
        # bad line it warns with a traceback quoting the line, which may hold a secret: hush.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jar._really_load(io.StringIO(text), str(path), True, True)  # type: ignore[attr-defined]
    except (LoadError, ValueError):
        raise UsageError(f"{path} is not a Netscape cookies.txt file; {FRESH_COOKIES} in that "
                         f"format and {again}") from None
    found = [c for c in jar if c.name == COOKIE_NAME and _is_imgur(c.domain)]
    if not found:
        raise UsageError(f"{path} holds no {COOKIE_NAME} cookie for imgur.com; {FRESH_COOKIES} "
                         f"(signed in, not in a private window) and {again}")
    now = time.time() if now is None else now
    # Exports write 0 for a session cookie (no expiry), which the jar would read as 1970.
    live = [c for c in found if not c.expires or not c.is_expired(now)]
    if not live:
        last = max(c.expires or 0 for c in found)
        when = datetime.fromtimestamp(last, timezone.utc).date().isoformat()
        raise UsageError(f"The imgur.com {COOKIE_NAME} cookie in {path} expired on {when}; "
                         f"{FRESH_COOKIES} and {again}")
    value = max(live, key=lambda c: c.expires or float("inf")).value or ""
    return check_token_text(value, f"The {COOKIE_NAME} cookie in {path} is not a cookie "
                                   f"value; {FRESH_COOKIES} and {again}")


def _mend(text: str, jar: MozillaCookieJar) -> str:
    """Mend two slips of browser exports the jar would refuse: no header line, and a
    "subdomains" flag that disagrees with the domain's leading dot."""
    lines = text.splitlines()
    for n, line in enumerate(lines):
        fields = line.split("\t")
        if len(fields) == 7 and not line.startswith("#"):
            fields[1] = "TRUE" if fields[0].startswith(".") else "FALSE"
            lines[n] = "\t".join(fields)
    if not lines or not jar.magic_re.search(lines[0]):
        lines.insert(0, "# Netscape HTTP Cookie File")
    return "\n".join(lines) + "\n"


def check_token_text(value: str, problem: str) -> str:
    """Return ``value`` stripped if it can be a cookie value, else raise ``problem``."""
    value = value.strip()
    if not _TOKEN.fullmatch(value):
        raise UsageError(problem)
    return value


def _is_imgur(domain: str) -> bool:
    domain = domain.lower().lstrip(".")
    return domain == "imgur.com" or domain.endswith(".imgur.com")
