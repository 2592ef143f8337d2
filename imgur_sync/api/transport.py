"""One HTTP session to Imgur: authentication, retries, token refresh and pacing.

Every API call goes through :meth:`Transport.call`. It picks the ``Authorization`` header,
refreshes the access token ahead of expiry (and once more when Imgur says it is invalid),
waits as the pacer asks, and retries with backoff and jitter what is worth retrying:
transport errors, 5xx, 429, "over capacity" and bodies that are not the JSON they should be
(docs/IMGUR-API.md §Errors lists the shapes met in the wild). Time is injected (``clock``,
``sleep``, ``random``) so tests never wait on the wall clock.

Nothing secret is logged: log lines name the method, path and status only. Nothing secret
leaves for another host either: API calls never follow redirects, and a path holding an id
that could climb out of its place ("..", a NUL) is refused before it is sent.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import random as _random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import requests

from .errors import (
    ApiError,
    AuthenticationError,
    CookieRefused,
    HeldBack,
    ImgurError,
    MalformedResponse,
    MediaRemoved,
    TransportError,
    UnsafePath,
    UsageError,
    error_for,
    why_no_answer,
)
from .media import MediaHttp, MediaLimits, MediaResponse, origin, trusted_media_url
from .ratelimits import CreditBudget, Pacer, RateLimits, keep_reserve, request_cost

__all__ = ["DEFAULT_API_URL", "RAPIDAPI_URL", "ApiResponse", "RetryPolicy", "Tokens", "Transport"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.imgur.com"
RAPIDAPI_URL = "https://imgur-apiv3.p.rapidapi.com"
USER_AGENT = "imgur-sync (+https://github.com/imgur-sync/imgur-sync)"
# i.imgur.com answers 429 to library user agents (docs/IMGUR-API.md §Media).
MEDIA_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
REMOVED_SUFFIX = "/removed.png"
COOKIE_REFUSED = ("Imgur's API v3 does not take the browser's sign-in cookie as a token, and "
                  "this needs one: sign in with `imgur-sync auth --refresh-token` if you hold an "
                  "OAuth refresh token (hidden favorites, messages and uploads need it)")
# Longest path segment sent: ids are 5-7 characters, deletehashes 15, usernames and tags
# short; a 5,000-character "id" is not Imgur's.
MAX_SEGMENT = 256
# Longest believable token lifetime: Imgur has given 10 years (315360000 s).
MAX_TOKEN_LIFETIME = 20 * 365 * 86400


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try, how long to back off, and the longest wait worth making."""

    # Ten tries ride out a bad patch (about two minutes of backoff at the cap) without
    # letting one call hang a run for long: the caller's own schedule covers longer outages.
    attempts: int = 10
    base: float = 0.5
    cap: float = 30.0
    max_wait: float = 300.0  # a longer wait (an hour's rate-limit reset) is the caller's call

    def backoff(self, attempt: int, rand: float) -> float:
        """Return the wait before retry number ``attempt`` (0-based), with jitter."""
        return min(self.cap, self.base * 2 ** attempt) * (0.5 + rand / 2)


@dataclass(frozen=True)
class Tokens:
    """The user's OAuth tokens; ``expires_at`` is epoch seconds."""

    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: float | None = None
    account_username: str | None = None
    account_id: int | None = None
    #: "oauth" (Imgur's API tokens) or "cookie" (the browser's ``accesstoken`` session cookie).
    kind: str = "oauth"

    def __repr__(self) -> str:  # tokens are secrets: never print them
        return (f"Tokens(kind={self.kind!r}, account_username={self.account_username!r}, "
                f"expires_at={self.expires_at!r}, has_refresh_token={bool(self.refresh_token)})")


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: the envelope's ``data`` (or the bare body), status and ETag."""

    data: Any
    status: int
    etag: str | None = None

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to ``If-None-Match``."""
        return self.status == 304


def _public_read(auth: str, method: str, path: str) -> bool:
    """True for a call that may go with the Client-ID when the user's token is refused: a
    read ("auto") of something not the signed-in account's own ("me")."""
    return auth == "auto" and method == "GET" and "me" not in path.split("/")


class _Retry(Exception):
    """Internal: the attempt failed in a way worth another try after ``wait`` seconds."""

    def __init__(self, error: ImgurError, wait: float | None = None) -> None:
        self.error, self.wait = error, wait


class Transport:
    """The one place that talks HTTP to Imgur's API."""

    def __init__(
        self,
        client_id: str,
        client_secret: str | None = None,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        expires_at: float | None = None,
        api_url: str | None = None,
        rapidapi_key: str | None = None,
        verify: bool = True,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        budget: CreditBudget | None = None,
        on_token: Callable[[Tokens], None] | None = None,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        session: requests.Session | None = None,
        media_limits: MediaLimits | None = None,
        media_origins: Iterable[str] = (),
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.rapidapi_key = rapidapi_key
        self.api_url = (api_url or (RAPIDAPI_URL if rapidapi_key else DEFAULT_API_URL)).rstrip("/")
        self.tokens = Tokens(access_token, refresh_token, expires_at)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or keep_reserve(0)
        self.budget = budget  # credits shared with other processes: see .ledger
        self.on_token = on_token
        self.refresh_margin = refresh_margin
        self.clock, self.sleep, self.random = clock, sleep, random
        self.limits = RateLimits()
        self.session = session or requests.Session()
        self.session.verify = verify
        _read_environment_once(self.session)
        self.session.headers["User-Agent"] = USER_AGENT
        # Media bypasses requests' session layer (see .media); same proxies and certificates.
        media_verify = self.session.verify
        if media_verify is True:  # requests would take a bundle the environment names
            media_verify = _environment_ca_bundle() or True
        self.media = MediaHttp(verify=media_verify, timeout=timeout,
                               headers={"User-Agent": MEDIA_USER_AGENT},
                               trust_env=self.session.trust_env, limits=media_limits)
        # Media is fetched from Imgur's media hosts, the API's own origin (the sandbox
        # serves media there) and the origins the caller adds; nowhere else.
        self.media_origins = frozenset(
            o for o in map(origin, (self.api_url, *media_origins)) if o is not None)
        self._refresh_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._pace_lock = threading.Lock()
        self.requests_sent = 0  # API requests put on the wire, retries included (not media)
        self.bearer_refused = False  # Imgur refused the browser's cookie as a Bearer token

    # -- credentials ------------------------------------------------------------------------

    @property
    def has_user(self) -> bool:
        """True when calls can be made as a user (an access or a refresh token is known)."""
        return bool(self.tokens.access_token or self.tokens.refresh_token)

    def set_tokens(self, tokens: Tokens, *, notify: bool = True) -> None:
        """Use new tokens from now on, and tell ``on_token`` so they can be stored."""
        self.tokens = tokens
        if notify and self.on_token is not None:
            self.on_token(tokens)

    def exchange(self, grant_type: str, **fields: str) -> dict[str, Any]:
        """Post to ``/oauth2/token`` and start using the tokens it returns."""
        if not self.client_secret:
            raise UsageError("Signing in needs the application's client_secret; add it to the "
                             "[imgur] section of the config or set IMGUR_CLIENT_SECRET")
        form = {"client_id": self.client_id, "client_secret": self.client_secret,
                "grant_type": grant_type, **fields}
        answer = self.call("POST", "oauth2/token", data=form, auth="none", envelope=False).data
        access_token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(access_token, str) or not access_token:
            raise MalformedResponse("Imgur's token answer had no access_token",
                                    method="POST", path="/oauth2/token")
        refresh_token, username, account_id = (answer.get(key) for key in (
            "refresh_token", "account_username", "account_id"))
        lifetime = _token_lifetime(answer.get("expires_in"))
        self.set_tokens(Tokens(
            access_token=access_token,
            refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token
            else self.tokens.refresh_token,
            # Unknown: the token is used until Imgur refuses it, then refreshed.
            expires_at=None if lifetime is None else self.clock() + lifetime,
            account_username=username if isinstance(username, str) else None,
            account_id=account_id if type(account_id) is int else None,
        ))
        return answer

    def refresh(self, stale: str | None = None) -> str:
        """Get a new access token with the refresh token; return it.

        ``stale`` is the token a failed call used: when another thread has refreshed
        since, its token is used instead of refreshing twice.
        """
        with self._refresh_lock:
            current = self.tokens.access_token
            if stale is not None and current and current != stale:
                return current
            if not self.tokens.refresh_token:
                raise AuthenticationError(
                    "The access token is invalid or expired and there is no refresh token; "
                    "sign in again with `imgur-sync auth`", status=403)
            log.debug("refreshing the access token")
            try:
                self.exchange("refresh_token", refresh_token=self.tokens.refresh_token)
            except ApiError as exc:
                if exc.status == 400:  # "Invalid refresh token"
                    raise AuthenticationError(
                        "Imgur refused the refresh token (revoked, or the account was "
                        "authorized again elsewhere); sign in again with `imgur-sync auth`",
                        status=exc.status, method="POST", path="/oauth2/token") from None
                raise
            return self.tokens.access_token or ""

    def _needs_refresh(self) -> bool:
        tokens = self.tokens
        if not tokens.access_token:
            return bool(tokens.refresh_token)
        return (tokens.refresh_token is not None and tokens.expires_at is not None
                and tokens.expires_at - self.clock() < self.refresh_margin)

    def _auth_header(self, auth: str, method: str = "GET",
                     path: str = "") -> tuple[dict[str, str], str | None]:
        """Return the headers for ``auth`` and the access token they carry, if any."""
        headers = {"X-Mashape-Key": self.rapidapi_key} if self.rapidapi_key else {}
        if auth == "none":
            return headers, None
        if auth == "user" or (auth == "auto" and self.has_user):
            if not self.has_user:
                raise UsageError("This call needs a signed-in Imgur user; run `imgur-sync auth` "
                                 "or pass access_token/refresh_token")
            if self.bearer_refused:  # asked once: the cookie is no API token here
                if _public_read(auth, method, path):
                    return {**headers, "Authorization": f"Client-ID {self.client_id}"}, None
                raise CookieRefused(COOKIE_REFUSED, status=403)
            if self._needs_refresh():
                self.refresh(self.tokens.access_token)
            token = self.tokens.access_token
            return {**headers, "Authorization": f"Bearer {token}"}, token
        return {**headers, "Authorization": f"Client-ID {self.client_id}"}, None

    # -- calls ------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Make an API call and return the ``data`` of its answer."""
        return self.call(method, path, **kwargs).data

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        files: Mapping[str, Any] | None = None,
        auth: str = "auto",
        envelope: bool = True,
        etag: str | None = None,
        retry: bool = True,
    ) -> ApiResponse:
        """Make an API call, retrying what is worth retrying; return the answer.

        ``auth`` is "auto" (the user when signed in, else the application), "user",
        "client" or "none". ``files`` values must be bytes or (name, bytes, type) tuples so a
        retry can send them again. ``retry=False`` makes one attempt only (apart from a token
        refresh), for callers that must decide themselves whether a POST may be repeated.
        """
        method = method.upper()
        path = _checked_path(method, path.lstrip("/"))
        cost = request_cost(method, path)
        refreshed = False
        attempt = 0
        while True:
            headers, token = self._auth_header(auth, method, path)
            if etag:
                headers["If-None-Match"] = etag
            try:
                self._pace(method, path, cost)
                try:
                    return self._attempt(method, path, headers, params, data, files,
                                         envelope, cost)
                finally:
                    self.limits.answered(cost)
            except _Retry as r:
                error, wait = r.error, r.wait
            except AuthenticationError as exc:
                if token is not None and self.tokens.kind == "cookie":
                    # The browser's cookie as a Bearer token is tried once; a refusal is
                    # remembered, so reads fall back to Client-ID and writes fail at once.
                    self.bearer_refused = True
                    if _public_read(auth, method, path):
                        continue
                    raise CookieRefused(COOKIE_REFUSED, status=exc.status, method=method,
                                        path="/" + path) from None
                if token is None or not self.tokens.refresh_token:
                    raise
                # The first refusal costs nothing; a fresh token refused again (tokens can
                # be revoked at any moment) counts as a failed attempt, so it cannot loop.
                if refreshed:
                    attempt += 1
                    if attempt >= self.retry.attempts:
                        raise
                log.info("Imgur refused the access token on %s /%s; refreshing it", method, path)
                self.refresh(token)
                refreshed = True
                continue
            attempt += 1
            if not retry or attempt >= self.retry.attempts:
                raise error
            wait = self.retry.backoff(attempt - 1, self.random()) if wait is None else wait
            if wait > self.retry.max_wait:
                raise error
            log.info("%s; retrying in %.1f s (attempt %d of %d)",
                     error, wait, attempt + 1, self.retry.attempts)
            self.sleep(wait)

    def _pace(self, method: str, path: str, cost: int) -> None:
        """Wait as the pacer asks, then count the call as in flight (``RateLimits.sent``).
        Threads pace one at a time, so each sees the credits the others took; a thread that
        waited paces again, with the others that waited."""
        while True:
            with self._pace_lock:
                now = self.clock()
                self.limits.forget_expired(now)
                wait = self.pacer(self.limits, method, cost, now)
                if wait <= 0:
                    self.limits.sent(cost)
                    return
            if wait > self.retry.max_wait:
                raise HeldBack(f"Imgur's rate limit resets in {wait:.0f} s, longer than this "
                               f"call may wait ({self.retry.max_wait:.0f} s); try again later",
                               status=429, method=method, path="/" + path, retry_after=wait)
            log.info("waiting %.1f s for Imgur's rate limit to reset before %s /%s", wait,
                     method, path)
            until = now + wait
            self.sleep(wait)
            if self.clock() < until:  # a sleep that came back early must not spin here
                self.limits.forget_expired(self.clock())
                self.limits.sent(cost)
                return

    def _attempt(self, method: str, path: str, headers: dict[str, str],
                 params: Any, data: Any, files: Any, envelope: bool,
                 cost: int = 0) -> ApiResponse:
        where = {"method": method, "path": "/" + path}
        if self.budget is not None:
            self.budget.take(cost, self.clock())
        started = self.clock()
        with self._count_lock:
            self.requests_sent += 1
        try:
            # Redirects are never followed: requests would carry the form (client_secret,
            # refresh_token) and the X-Mashape-Key header to whatever host one names.
            response = self.session.request(
                method, f"{self.api_url}/{path}", params=params, data=data, files=files,
                headers=headers, timeout=self.timeout, allow_redirects=False)
            body = response.content
        except requests.RequestException as exc:
            raise _Retry(TransportError(f"No answer from Imgur: {why_no_answer(exc)}",
                                        **where)) from None
        self.limits.update(response.headers, self.clock())
        if self.budget is not None:
            self.budget.settle(cost, response.headers, response.status_code, self.clock())
        log.debug("%s /%s -> %s (%d bytes, %.0f ms)", method, path, response.status_code,
                  len(body), (self.clock() - started) * 1000)
        if response.status_code == 304:
            return ApiResponse(None, 304, response.headers.get("ETag"))
        if response.is_redirect:
            raise ApiError(_redirect_message(response), status=response.status_code, **where)
        payload = self._decode(response, body, where)
        status, message = _failure(response.status_code, payload)
        if status is None:
            if not envelope:
                return ApiResponse(payload, response.status_code, response.headers.get("ETag"))
            if "data" not in payload:
                raise _Retry(MalformedResponse("Imgur's answer had no data",
                                               status=response.status_code,
                                               body=json.dumps(payload), **where))
            return ApiResponse(payload["data"], response.status_code,
                               response.headers.get("ETag"))
        error = error_for(status, message, body=payload, retry_after=_retry_after(
            status, response.headers, self.limits, self.clock()), **where)
        if error.retryable:
            raise _Retry(error, error.retry_after)
        raise error

    def _decode(self, response: requests.Response, body: bytes, where: dict[str, str]) -> Any:
        """Return the JSON body, or raise the right error for anything else."""
        text = body.decode("utf-8", "replace").lstrip()
        status = response.status_code
        if not text.startswith(("{", "[")):
            kind = "an HTML page" if text[:1] == "<" else "a body that is not JSON"
            message = f"Imgur answered {status} with {kind} instead of JSON"
            if status >= 400:
                error = error_for(status, message, body=text[:500], retry_after=_retry_after(
                    status, response.headers, self.limits, self.clock()), **where)
                if error.retryable:
                    raise _Retry(error, error.retry_after)
                raise error
            raise _Retry(MalformedResponse(message, status=status, body=text, **where))
        try:
            payload = json.loads(text)
        except ValueError:
            raise _Retry(MalformedResponse(f"Imgur answered {status} with cut-off or invalid "
                                           "JSON", status=status, body=text, **where)) from None
        if not isinstance(payload, dict):
            raise _Retry(MalformedResponse("Imgur's answer was JSON but not an object",
                                           status=status, body=text, **where))
        return payload

    # -- media ------------------------------------------------------------------------------

    def open_media(self, url: str) -> MediaResponse:
        """Start downloading a media link; the caller reads ``iter_content`` and closes it.

        No credentials go to the media host. Removed media (the ``removed.png`` redirect)
        raises :class:`MediaRemoved`, so it is never saved as an image's content. A body
        that breaks off while being read raises :class:`TransportError`. A link (or a
        redirect) to a host that is not trusted raises :class:`MediaRefused` before
        anything is sent there; see :func:`.media.trusted_media_url`.
        """
        attempt = 0
        while True:
            error: ImgurError
            try:
                response = self.media.get(url, self._trusted_media)
            except TransportError as exc:
                error, wait = exc, None
            else:
                if response.status_code < 400:
                    return response
                response.close()
                error = error_for(response.status_code, "The media download failed",
                                  method="GET", path=url)
                wait = _retry_after(response.status_code, response.headers, None, self.clock())
                if not error.retryable:
                    raise error
            attempt += 1
            if attempt >= self.retry.attempts:
                raise error
            self.sleep(self.retry.backoff(attempt - 1, self.random()) if wait is None else wait)

    def _trusted_media(self, url: str) -> str:
        """Check each address of a media download (redirects too) before it is fetched."""
        if url.endswith(REMOVED_SUFFIX):  # whatever its host: the placeholder is not fetched
            raise MediaRemoved("Imgur has removed this media", status=404,
                               method="GET", path=url)
        return trusted_media_url(url, self.media_origins)


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _read_environment_once(session: requests.Session) -> None:
    """Stop requests re-reading the environment on every request, when that changes nothing.

    With ``trust_env`` on, requests scans every environment variable for proxies and looks
    for ~/.netrc on each request: a fifth of the CPU of a small download. Without proxy
    variables the only other effect is a CA bundle variable, which is read here instead.
    """
    names = {name.lower() for name in os.environ}
    if names.intersection(_PROXY_VARIABLES):
        return  # proxies (and no_proxy exceptions) need requests' per-request logic
    session.trust_env = False
    bundle = _environment_ca_bundle()
    if bundle and session.verify is True:
        session.verify = bundle


def _environment_ca_bundle() -> str | None:
    """The CA bundle requests reads from the environment when ``trust_env`` is on."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _checked_path(method: str, path: str) -> str:
    """Return ``path``, or raise ``UnsafePath`` if a segment could leave its place in the URL.

    Paths are built from ids, many of them out of Imgur's answers; ``quoted`` escapes a
    slash but not a whole ".." segment, and engine code formats ids in as they came.
    """
    for segment in path.split("/"):
        plain = unquote(segment)
        if not plain or plain in (".", "..") or len(plain) > MAX_SEGMENT or any(
                ch in "/\\?#" or ord(ch) < 32 or ord(ch) == 127 for ch in plain):
            # repr() escapes control characters, so none reaches a terminal raw.
            shown = repr(plain[:40]) + ("…" if len(plain) > 40 else "")
            raise UnsafePath(f"Refused to send a request whose path holds {shown}, which is "
                             "no valid Imgur id or name; the item that gave it is skipped",
                             method=method, path="/" + repr(path[:200])[1:-1])
    return path


def _redirect_message(response: requests.Response) -> str:
    """Say where a redirect pointed (host and port only) and that it was not followed."""
    target = urlsplit(urljoin(response.url, response.headers.get("Location", "")))
    origin = urlsplit(response.url)
    where = target.hostname or "nowhere"
    if target.port:
        where += f":{target.port}"
    other = (target.scheme, target.hostname, target.port) != (
        origin.scheme, origin.hostname, origin.port)
    return (f"a redirect to {'another host, ' if other else ''}{where}, which API calls "
            "never follow, so no credentials went there; check that [imgur] api_url is the "
            "API's address")


def _token_lifetime(value: object) -> float | None:
    """Return a token's ``expires_in`` in seconds, or None when it is unreadable or absurd."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if math.isfinite(seconds) and 0 < seconds <= MAX_TOKEN_LIFETIME else None


def _failure(http_status: int, payload: dict[str, Any]) -> tuple[int | None, str]:
    """Return ``(status, Imgur's message)`` for an error answer, ``(None, "")`` for success."""
    if isinstance(payload.get("errors"), list):  # the JSON:API 429 body
        first = payload["errors"][0] if payload["errors"] else {}
        detail = first.get("detail") or first.get("status") if isinstance(first, dict) else None
        return (http_status if http_status >= 400 else 429), str(detail or "Too Many Requests")
    body_status = payload.get("status")
    if http_status < 400 and payload.get("success") is not False:
        return None, ""
    data = payload.get("data")
    message: Any = data
    if isinstance(data, dict):
        message = data.get("error", data.get("message", ""))
        if isinstance(message, dict):  # the 500 with an object error
            message = message.get("message") or message.get("type") or ""
    elif "message" in payload:  # Mashape/RapidAPI gateway errors
        message = payload["message"]
    message = str(message or f"HTTP {http_status}")
    if http_status < 400:  # _fake_status, or Imgur's body-only 1203 over capacity
        status = body_status if isinstance(body_status, int) and body_status >= 400 else 500
        return status, message
    return http_status, message


def _retry_after(status: int, headers: Mapping[str, str], limits: RateLimits | None,
                 now: float) -> float | None:
    """Return how long Imgur asked us to wait (Retry-After, or the user's reset on a 429)."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                return max(email.utils.parsedate_to_datetime(value).timestamp() - now, 0.0)
            except (TypeError, ValueError):
                pass  # an unreadable date: fall back to our own backoff
    if (status == 429 and limits is not None and limits.user_remaining == 0
            and limits.user_reset is not None):
        return max(limits.user_reset - now, 0.0)
    return None
