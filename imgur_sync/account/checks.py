"""Account checks: signed in at all, and one Imgur account per state directory.

The pull, the uploads and the sign-in all ask these before they touch anything, so they sit
below each of them and read only the store and the transport they are given.
"""

from __future__ import annotations

from pathlib import Path

from ..api import Transport
from ..errors import UsageError
from ..paths import database_path
from ..store import Store

__all__ = ["AccountMismatch", "check_account", "mirrored_account", "require_user"]


def require_user(transport: Transport) -> None:
    """Refuse, with the fix, to work on "my" account without being signed in."""
    if not transport.has_user:
        raise UsageError("Not signed in to Imgur: run `imgur-sync auth` (or put a "
                         "refresh_token in the [imgur] section of the config)")


class AccountMismatch(UsageError):
    """The state directory belongs to another Imgur account than the one signed in."""


def mirrored_account(state_dir: Path) -> str | None:
    """Return the account whose mirror the state directory holds, if it holds one."""
    if not Store.exists(database_path(state_dir)):
        return None
    with Store.open_readonly(database_path(state_dir)) as store:
        return store.get_setting("account_username")


def check_account(mirrored: str | None, signed_in: str | None, state_dir: Path) -> None:
    """Refuse to mix two accounts in one state directory (their mirrors would merge)."""
    if mirrored and signed_in and mirrored.lower() != signed_in.lower():
        raise AccountMismatch(
            f"{state_dir} holds the mirror of Imgur account {mirrored}, but the sign-in is "
            f"for {signed_in}. Each account needs its own state directory: set "
            f"STATE_DIRECTORY (or XDG_STATE_HOME) for {signed_in}, or use the "
            "imgur-sync@.service template; delete the directory only to start over")
