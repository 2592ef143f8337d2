"""Two cheap probes for signing in: does Imgur take the browser's cookie, does its OAuth page work.

imgur.com's own pages read the account through the web API (``/post/v1``) with that cookie,
the website's client id as a query parameter and ``Origin: https://imgur.com``; no
``Authorization`` header. Asking for the first page of the account's posts costs one request.
"""

from __future__ import annotations

from typing import Any

import requests

from .errors import AuthenticationError, MalformedResponse, TransportError, error_for, why_no_answer

__all__ = ["COOKIE_NAME", "WEB_ORIGIN", "check_cookie", "cookie_headers", "oauth_page_broken"]

COOKIE_NAME = "accesstoken"
WEB_ORIGIN = "https://imgur.com"
_PROBE = "/post/v1/accounts/me/all_posts"
# What Imgur's authorize page has shown every application since mid-2025.
_OAUTH_BROKEN = "Error (1024)"


def cookie_headers(token: str) -> dict[str, str]:
    """Return the headers imgur.com's own pages send to the web API: the cookie and the origin."""
    return {"Cookie": f"{COOKIE_NAME}={token}", "Origin": WEB_ORIGIN}


def check_cookie(api_url: str, web_client_id: str, token: str, *,
                 timeout: float = 30.0) -> str | None:
    """Return the account's name if the first page shows it; raise when Imgur refuses the cookie.

    Raises :class:`AuthenticationError` for 401 or a plain 403 (the cookie is refused),
    :class:`Forbidden` when the web client id is refused, another :class:`ImgurError` when
    no usable answer came (nothing is known then).
    """
    url = api_url.rstrip("/") + _PROBE
    params = {"client_id": web_client_id, "include": "account", "page": "1",
              "sort": "-created_at"}
    headers = {**cookie_headers(token), "Accept": "application/json"}
    try:
        response = requests.get(url, params=params, headers=headers, timeout=timeout,
                                allow_redirects=False)
    except requests.RequestException as exc:
        raise TransportError(why_no_answer(exc), method="GET", path=_PROBE) from None
    if response.status_code != 200:
        error = error_for(response.status_code, response.text[:200], method="GET", path=_PROBE)
        if response.status_code == 403 and not error.retryable \
                and "client_id" not in response.text[:200].lower():
            # The web API answers a refused session with a bare 403 too.
            raise AuthenticationError(error.message, status=403, method="GET",
                                      path=_PROBE) from None
        raise error
    try:
        body: Any = response.json()
    except ValueError:
        raise MalformedResponse("the answer is not JSON", method="GET", path=_PROBE) from None
    posts = body.get("data") if isinstance(body, dict) else body
    return _username(posts)


def _username(posts: Any) -> str | None:
    """The name on the first post's account, when the page has one."""
    if not isinstance(posts, list) or not posts or not isinstance(posts[0], dict):
        return None
    account = posts[0].get("account")
    name = account.get("username") if isinstance(account, dict) else None
    return name if isinstance(name, str) and name else None


def oauth_page_broken(url: str, *, timeout: float = 15.0) -> bool:
    """True when the authorize page at ``url`` shows Imgur's "Error (1024)"; False if unknown."""
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "text/html"})
    except requests.RequestException:
        return False  # the user's browser may still get through: let them try
    return _OAUTH_BROKEN in response.text[:100_000]
