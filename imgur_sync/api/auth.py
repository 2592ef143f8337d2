"""OAuth helpers that need no network: the authorization URL and reading what comes back.

Imgur's authorize page answers in one of three ways (docs/IMGUR-API.md §Auth): ``token`` puts the
tokens in the redirect URL's fragment, ``code`` puts a one-use code in its query, and ``pin``
shows a PIN to the user. ``parse_redirect`` reads the first two from whatever the user
pasted: the whole URL, or just its fragment or query.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from .errors import AuthenticationError, UsageError

__all__ = ["RESPONSE_TYPES", "authorization_url", "parse_redirect"]

RESPONSE_TYPES = ("token", "code", "pin")


def authorization_url(api_url: str, client_id: str, response: str, state: str = "") -> str:
    """Return the URL where the user authorizes the application."""
    if response not in RESPONSE_TYPES:
        raise UsageError(f"response must be one of {', '.join(RESPONSE_TYPES)}, "
                         f"not {response!r}")
    query = {"client_id": client_id, "response_type": response}
    if state:
        query["state"] = state
    return f"{api_url.rstrip('/')}/oauth2/authorize?{urlencode(query)}"


def parse_redirect(pasted: str) -> dict[str, str]:
    """Return the fields of a pasted redirect URL (fragment and query merged).

    Raises ``AuthenticationError`` when the user denied access, and ``UsageError`` when the
    text holds neither tokens nor a code.
    """
    text = pasted.strip()
    parts = urlsplit(text) if "://" in text else None
    raw = f"{parts.query}&{parts.fragment}" if parts else text.lstrip("#?")
    fields = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=False).items()}
    if "error" in fields:
        raise AuthenticationError(f"Imgur says the authorization failed: {fields['error']}",
                                  status=403)
    if "access_token" not in fields and "code" not in fields:
        raise UsageError("That does not look like Imgur's redirect: paste the whole address "
                         "the browser shows after you allow access (it contains "
                         "access_token=... or code=...)")
    return fields
