"""Imgur's web API (``/post/v1``), the routes imgur.com's own pages call, signed in by cookie.

The account's own posts (hidden ones too) are read with the browser's ``accesstoken``
cookie, ``Origin: https://imgur.com`` and the website's client id as a query parameter, with
no ``Authorization`` header; one post by id with ``Client-ID``. Like :class:`.Transport`,
it follows no redirects, refuses ids that could climb out of their place in a path, and
never puts the cookie in a message or a log line. Throttling there says "capacity" in a
403 or 429 and lifts within the hour, so it is waited out in long steps.
"""

from __future__ import annotations

import json
import logging
import random as _random
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from .errors import (
    ApiError,
    AuthenticationError,
    ImgurError,
    MalformedResponse,
    OverCapacity,
    TransportError,
    error_for,
    why_no_answer,
)
from .probes import cookie_headers
from .transport import (
    DEFAULT_API_URL,
    USER_AGENT,
    RetryPolicy,
    _checked_path,
    _failure,
    _redirect_message,
    _retry_after,
)

__all__ = ["POST_KINDS", "WebApi"]

log = logging.getLogger(__name__)

POST_KINDS = ("all_posts", "hidden_albums")
INCLUDE = "media,tags,account"
EXPIRED = ("Imgur refused the browser sign-in cookie (it expired, was signed out, or the web "
           "client id is no longer accepted); export fresh cookies from a browser signed in "
           "to imgur.com and run `imgur-sync auth --cookies FILE`")


class WebApi:
    """Reads an account's posts through ``/post/v1`` with its browser cookie."""

    def __init__(
        self,
        cookie_token: str,
        web_client_id: str,  # [imgur] web_client_id: its default is the config's to say
        *,
        api_url: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        retry: RetryPolicy | None = None,
        capacity_wait: float = 600.0,
        capacity_attempts: int = 6,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._cookie = cookie_token
        self.web_client_id = web_client_id
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        # gallery-dl waits 600 s; six of them cover the hour throttling lasts.
        self.capacity_wait = capacity_wait
        self.capacity_attempts = capacity_attempts
        self.clock, self.sleep, self.random = clock, sleep, random
        self.requests_sent = 0

    def __repr__(self) -> str:  # the cookie is a secret: never print it
        return f"WebApi(api_url={self.api_url!r}, web_client_id={self.web_client_id!r})"

    # -- reading ----------------------------------------------------------------------------

    def iter_pages(self, kind: str = "all_posts", start: int = 1) -> Iterator[list[Any]]:
        """Yield the pages of the account's posts, newest first, from ``start`` to the last.

        Lazy: each page is fetched when the caller asks for it, so a caller that stops
        (``break``) sends no further request.
        """
        if kind not in POST_KINDS:
            raise ValueError(f"kind must be one of {', '.join(POST_KINDS)}, not {kind!r}")
        page = start
        while True:
            body = self._get(f"post/v1/accounts/me/{kind}", cookie=True, params={
                "client_id": self.web_client_id, "include": INCLUDE, "page": page,
                "sort": "-created_at"})
            items = _listing(body, f"/post/v1/accounts/me/{kind}")
            if not items:
                return
            yield items
            page += 1

    def iter_posts(self, kind: str = "all_posts", *,
                   stop: Callable[[list[Any]], bool] | None = None) -> Iterator[Any]:
        """Yield the account's posts, newest first; ``stop(page)`` true ends after that page."""
        for items in self.iter_pages(kind):
            yield from items
            if stop is not None and stop(items):
                return

    def get_album(self, album_id: str) -> dict[str, Any]:
        """Return one album post (its ``media`` are the images) by id."""
        return _post(self._get(f"post/v1/albums/{album_id}", params={"include": INCLUDE}),
                     f"/post/v1/albums/{album_id}")

    def get_media(self, image_id: str) -> dict[str, Any]:
        """Return the media item (``media[0]``) of one image's post, by id."""
        where = f"/post/v1/media/{image_id}"
        post = _post(self._get(f"post/v1/media/{image_id}", params={"include": INCLUDE}),
                     where)
        media = post.get("media")
        if not isinstance(media, list) or not media or not isinstance(media[0], dict):
            raise MalformedResponse("Imgur's answer for the image held no media",
                                    method="GET", path=where)
        return media[0]

    # -- HTTP -------------------------------------------------------------------------------

    def _get(self, path: str, *, params: dict[str, Any], cookie: bool = False) -> Any:
        """GET ``path``, retrying what is worth retrying; return the decoded JSON body."""
        path = _checked_path("GET", path)
        if cookie:
            headers = cookie_headers(self._cookie)
        else:
            headers = {"Authorization": f"Client-ID {self.web_client_id}"}
        headers["User-Agent"] = USER_AGENT
        attempt = throttled = 0
        while True:
            try:
                return self._attempt(path, headers, params, cookie)
            except ImgurError as error:
                if not error.retryable:
                    raise
                if isinstance(error, OverCapacity):
                    throttled += 1
                    if throttled >= self.capacity_attempts:
                        raise
                    wait = self.capacity_wait
                else:
                    attempt += 1
                    if attempt >= self.retry.attempts:
                        raise
                    retry_after = error.retry_after if isinstance(error, ApiError) else None
                    wait = retry_after if retry_after is not None else \
                        self.retry.backoff(attempt - 1, self.random())
                log.info("%s; retrying in %.0f s", error, wait)
                self.sleep(wait)

    def _attempt(self, path: str, headers: dict[str, str], params: dict[str, Any],
                 cookie: bool) -> Any:
        where = {"method": "GET", "path": "/" + path}
        self.requests_sent += 1
        try:
            # No redirects: the cookie would go to whatever host a Location names.
            response = self.session.get(f"{self.api_url}/{path}", params=params,
                                        headers=headers, timeout=self.timeout,
                                        allow_redirects=False)
            text = response.content.decode("utf-8", "replace").strip()
        except requests.RequestException as exc:
            raise TransportError(f"No answer from Imgur: {why_no_answer(exc)}",
                                 **where) from None
        status = response.status_code
        log.debug("GET /%s -> %s", path, status)
        if response.is_redirect:
            raise ApiError(_redirect_message(response), status=status, **where)
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        if status >= 400 or body is None:
            message = _failure(status, body)[1] if isinstance(body, dict) else text[:200]
            if status < 400:
                raise MalformedResponse(f"Imgur answered {status} with a body that is not "
                                        "JSON", status=status, body=text, **where)
            error = error_for(status, message or f"HTTP {status}", body=body, **where,
                              retry_after=_retry_after(status, response.headers, None,
                                                       self.clock()))
            if isinstance(error, ApiError) and "capacity" not in message.lower() and (
                    cookie and status in (401, 403)):
                raise AuthenticationError(EXPIRED, status=status, **where)
            raise error
        return body


def _listing(body: Any, where: str) -> list[Any]:
    """The items of a listing page: a bare list or ``{"data": [...]}``."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return body["data"]
    if isinstance(body, list):
        return body
    raise MalformedResponse("Imgur's listing was neither a list nor {\"data\": [...]}",
                            method="GET", path=where)


def _post(body: Any, where: str) -> dict[str, Any]:
    """One post: the bare object or ``{"data": {...}}``."""
    if isinstance(body, dict) and "id" not in body and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict):
        raise MalformedResponse("Imgur's answer for the post was not an object",
                                method="GET", path=where)
    return body
