"""The token store: the user's OAuth tokens in the state directory, readable by its owner only.

`imgur-sync auth` writes it; every other command reads it, and the API client's token
callback rewrites it whenever a token is refreshed, so a restart never needs a new sign-in.
The file is JSON, written atomically with mode 0600 inside a 0700 directory.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..api import Tokens
from ..errors import ImgurSyncError

__all__ = ["KINDS", "TOKEN_FILE", "TokenStore", "TokenStoreError", "tokens_from_fields"]

log = logging.getLogger(__name__)

TOKEN_FILE = "tokens.json"
_LAST_TIME = 253_402_300_800  # 10000-01-01T00:00:00Z; NaN fails the comparison too
_FIELDS = ("access_token", "refresh_token", "expires_at", "account_username", "account_id")
KINDS = ("oauth", "cookie")  # files written before there were cookie sign-ins hold no kind


class TokenStoreError(ImgurSyncError):
    """The token file cannot be read or written."""


def tokens_from_fields(fields: Mapping[str, Any], now: float) -> Tokens:
    """Build tokens from Imgur's token answer or redirect fragment (``expires_in`` relative)."""
    try:
        expires_at: float | None = now + float(fields["expires_in"])
    except (KeyError, TypeError, ValueError):  # absent, null or "soon": refreshed when refused
        expires_at = None
    account_id = fields.get("account_id")
    return Tokens(
        access_token=fields.get("access_token"),
        refresh_token=fields.get("refresh_token"),
        expires_at=expires_at if _is_time(expires_at) else None,
        account_username=fields.get("account_username"),
        account_id=int(account_id) if str(account_id or "").isdigit() else None,
    )


def _is_time(value: Any) -> bool:
    """True for None or an epoch time a datetime can hold (not "soon", not 1e300)."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 <= value < _LAST_TIME


class TokenStore:
    """Load and save the tokens of one account."""

    def __init__(self, state_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(state_dir) / TOKEN_FILE
        self.clock = clock

    def load(self) -> Tokens | None:
        """Return the stored tokens, or None when nobody has signed in yet."""
        try:
            mode = self.path.stat().st_mode
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise TokenStoreError(
                f"Cannot read the token file {self.path} ({exc.__class__.__name__}); "
                "delete it and sign in again with `imgur-sync auth`") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s was readable by others; making it private (mode 0600)", self.path)
            self.path.chmod(0o600)
        if not isinstance(raw, dict):
            raise TokenStoreError(f"The token file {self.path} is not a JSON object; delete it "
                                  "and sign in again with `imgur-sync auth`")
        fields = {k: raw.get(k) for k in _FIELDS}
        for name in ("access_token", "refresh_token", "account_username"):
            if not isinstance(fields[name], (str, type(None))):
                raise TokenStoreError(f"The token file {self.path} is damaged ({name} is not "
                                      "text); sign in again with `imgur-sync auth`")
        if not _is_time(fields["expires_at"]):
            # The token still works until Imgur refuses it; then the refresh token renews it.
            log.warning("%s: expires_at is not a time; treating the access token's expiry as "
                        "unknown", self.path)
            fields["expires_at"] = None
        if not isinstance(fields["account_id"], int) or isinstance(fields["account_id"], bool):
            fields["account_id"] = None  # only shown, never used to decide anything
        kind = raw.get("kind", "oauth")
        if kind not in KINDS:
            raise TokenStoreError(f"The token file {self.path} is damaged (kind {kind!r} is "
                                  "unknown); sign in again with `imgur-sync auth`")
        return Tokens(**fields, kind=kind)

    def save(self, tokens: Tokens) -> None:
        """Write the tokens atomically, readable by the owner only."""
        directory = self.path.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            body = {**asdict(tokens), "saved_at": self.clock()}
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tokens-", suffix=".tmp")
            try:  # mkstemp creates the file 0600 already: the secret is never readable by others
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(body, out, indent=2)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TokenStoreError(f"Cannot write the token file {self.path}: {exc.strerror}; "
                                  "check that the state directory is writable") from None
        log.debug("saved tokens for %s to %s", tokens.account_username or "?", self.path)

    def clear(self) -> bool:
        """Forget the stored tokens; return whether there were any."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True
