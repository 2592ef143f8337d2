"""One Imgur account: its tokens, signing in, and the checks that keep accounts apart.

- ``tokens.py``: :class:`TokenStore`, the OAuth tokens (or the browser's cookie) in the
  state directory;
- ``cookies.py``: the ``accesstoken`` cookie read out of a browser's cookies.txt;
- ``checks.py``: signed in at all, and one account per state directory (below the pull
  and the uploads, which ask it before they touch anything);
- ``signin.py``: the config and the token store to a ready client, and the OAuth flows.

The face below is loaded on first use: the checks and the tokens do not need the sign-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_face

if TYPE_CHECKING:
    from .checks import AccountMismatch, check_account, require_user
    from .signin import open_client
    from .tokens import TokenStore

__all__ = ["AccountMismatch", "TokenStore", "check_account", "open_client", "require_user"]

__getattr__ = lazy_face(__name__, {"AccountMismatch": "checks", "check_account": "checks",
                                   "require_user": "checks", "open_client": "signin",
                                   "TokenStore": "tokens"})
