"""Signing in: from the config and the token store to a ready API client, and the auth flows.

``open_client`` is how every command gets its :class:`~imgur_sync.api.Imgur`: stored tokens
first (they are the newest, rewritten on every refresh), else the config's refresh token,
else anonymous (Client-ID) access. ``sign_in`` runs one of the OAuth flows and stores what
it gets; ``sign_in_cookie`` stores the browser's session cookie once Imgur has taken it.
Nothing here prints or prompts: the CLI does that.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..api import (
    AuthenticationError,
    Forbidden,
    Imgur,
    ImgurError,
    MediaLimits,
    RetryPolicy,
    Tokens,
    authorization_url,
    parse_redirect,
)
from ..api.probes import check_cookie, oauth_page_broken
from ..errors import UsageError
from ..settings.config import Config
from .checks import check_account, mirrored_account
from .cookies import FRESH_COOKIES
from .tokens import TokenStore, tokens_from_fields

__all__ = [
    "FLOWS",
    "OAUTH_BROKEN",
    "describe_tokens",
    "new_state",
    "oauth_page_broken",
    "open_client",
    "sign_in",
    "sign_in_cookie",
    "sign_in_url",
]

OAUTH_BROKEN = ("Imgur's authorization page answers \"Error (1024)\": it has been broken for "
                "everyone since mid-2025, so sign in with your browser's cookies instead: "
                "`imgur-sync auth --cookies FILE` (see the README)")

log = logging.getLogger(__name__)

FLOWS = ("token", "pin", "code")


def open_client(config: Config, store: TokenStore, **options: Any) -> Imgur:
    """Return a client for the configured account; refreshed tokens are saved as they come."""
    imgur = config.imgur
    stored = store.load()
    tokens = stored or Tokens(refresh_token=imgur.refresh_token)
    if "transport" not in options:  # a transport passed in comes with its own limits
        options.setdefault("media_limits",
                           MediaLimits(max_size=config.mirror.max_download_size))
        # A connection is made within seconds or not at all; an answer may take longer.
        options.setdefault("timeout", (min(10.0, imgur.timeout), float(imgur.timeout)))
        options.setdefault("retry", RetryPolicy(attempts=imgur.retries + 1))
    client = Imgur(imgur.client_id, imgur.client_secret, tokens.access_token,
                   tokens.refresh_token, rapidapi_key=imgur.rapidapi_key, api_url=imgur.api_url,
                   expires_at=tokens.expires_at, on_token=store.save, **options)
    if tokens.kind == "cookie":
        # The browser's cookie: the web API reads with it (api.listings), and /3/ is tried
        # with it as a Bearer token once; it is never refreshed.
        client.transport.set_tokens(tokens, notify=False)
    return client


def new_state() -> str:
    """Return a fresh ``state`` value to tie the redirect to this sign-in."""
    return secrets.token_urlsafe(12)


def sign_in_url(config: Config, flow: str, state: str = "") -> str:
    """Return the page where the user allows imgur-sync to use the account."""
    return authorization_url(config.imgur.api_url, config.imgur.client_id, flow, state)


def sign_in(config: Config, store: TokenStore, flow: str, answer: str, *, state: str = "",
            clock: Callable[[], float] = time.time) -> Tokens:
    """Finish a sign-in with what the user brought back; store and return the tokens.

    ``flow`` is "token" (``answer`` is the pasted redirect address), "pin", "code" (the
    code, or the redirect address that carries it) or "refresh_token".
    """
    answer = answer.strip()
    if not answer:
        raise UsageError(f"Nothing was entered for the {flow.replace('_', ' ')}; run "
                         "`imgur-sync auth` again and paste what Imgur showed")
    client = open_client(config, _NoStore(), clock=clock)
    if flow == "token":
        fields = parse_redirect(answer)
        if state and fields.get("state", state) != state:
            raise UsageError("That address belongs to a different sign-in (its state does not "
                             "match); run `imgur-sync auth` again and use the new address")
        if "access_token" not in fields:
            raise UsageError("That address carries a code, not tokens: run "
                             "`imgur-sync auth --code` to use it")
        client.transport.set_tokens(tokens_from_fields(fields, clock()), notify=False)
    elif flow == "pin":
        client.exchange_pin(answer)
    elif flow == "code":
        code = parse_redirect(answer)["code"] if "code=" in answer else answer
        client.exchange_code(code)
    elif flow == "refresh_token":
        client.transport.set_tokens(Tokens(refresh_token=answer), notify=False)
        client.refresh_access_token()
    else:
        raise UsageError(f"Unknown sign-in flow {flow!r}; use one of {', '.join(FLOWS)}")
    tokens = client.transport.tokens
    if not tokens.account_username:  # the token flow's fragment may lack it: ask Imgur
        me = client.get_user("me")
        tokens = Tokens(tokens.access_token, tokens.refresh_token, tokens.expires_at,
                        me.name, getattr(me, "id", None))
    check_account(mirrored_account(store.path.parent), tokens.account_username,
                  store.path.parent)
    store.save(tokens)
    return tokens


def sign_in_cookie(config: Config, store: TokenStore, token: str, source: str) -> Tokens:
    """Store the browser's ``accesstoken`` cookie once Imgur's web API has taken it.

    ``source`` names where the cookie came from, for the message when Imgur refuses it.
    When Imgur cannot be asked (no answer, over capacity) the cookie is stored unchecked:
    the first pull that uses it says so if it does not work.
    """
    try:
        username = check_cookie(config.imgur.api_url, config.imgur.web_client_id, token)
    except AuthenticationError as exc:
        raise UsageError(f"Imgur refused the cookie from {source} (HTTP {exc.status}); "
                         f"{FRESH_COOKIES} and sign in again") from None
    except Forbidden:
        raise UsageError(f"Imgur's web API refused the web client id "
                         f"{config.imgur.web_client_id!r}; set [imgur] web_client_id in "
                         f"{config.path} to the one imgur.com uses now") from None
    except ImgurError as exc:
        log.warning("Could not check the cookie with Imgur (%s); storing it unchecked", exc)
        username = None
    if username:
        check_account(mirrored_account(store.path.parent), username, store.path.parent)
    tokens = Tokens(access_token=token, account_username=username, kind="cookie")
    store.save(tokens)
    return tokens


def describe_tokens(tokens: Tokens | None, store: TokenStore, now: float) -> list[str]:
    """Return the lines ``auth --status`` prints: who, until when, where (never the tokens)."""
    if tokens is None:
        return ["Not signed in: run `imgur-sync auth` to sign in.",
                f"Token file (none yet): {store.path}"]
    if tokens.kind == "cookie":
        return _describe_cookie(tokens, store)
    who = tokens.account_username or "an unknown account"
    lines = [f"Signed in as {who}" + (f" (account id {tokens.account_id})"
                                      if tokens.account_id else "")]
    if tokens.expires_at is None:
        lines.append("Access token: expiry unknown; it is refreshed when Imgur refuses it")
    else:
        when = datetime.fromtimestamp(tokens.expires_at, timezone.utc).isoformat(
            timespec="seconds")
        left = tokens.expires_at - now
        lines.append(f"Access token: expires {when} (in {_span(left)})" if left > 0 else
                     f"Access token: expired {when}; it is refreshed on the next call")
    lines.append("Refresh token: stored" if tokens.refresh_token else
                 "Refresh token: none (sign in again when the access token expires)")
    lines.append(f"Token file: {store.path}")
    return lines


def _describe_cookie(tokens: Tokens, store: TokenStore) -> list[str]:
    """What a sign-in with the browser's cookie can and cannot do (never the cookie)."""
    who = tokens.account_username or "an account Imgur did not name"
    return [f"Signed in with the browser's accesstoken cookie as {who}",
            "Own posts, hidden ones included: mirrored through Imgur's web API",
            "Gallery favorites: mirrored (they are public)",
            "Hidden favorites, messages and uploads: need Imgur to take the cookie as an API "
            "token; where it does not, `status` says so and an OAuth refresh token is the way",
            "When Imgur stops taking the cookie: " + FRESH_COOKIES + " and run "
            "`imgur-sync auth --cookies FILE` again",
            f"Token file: {store.path}"]


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts[:2])


class _NoStore(TokenStore):
    """A store that holds nothing: sign-in saves once, at the end, after checking."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent"))

    def load(self) -> None:
        return None

    def save(self, tokens: Tokens) -> None:
        return None
