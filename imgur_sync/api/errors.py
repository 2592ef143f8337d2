"""Errors raised by the Imgur client.

Every error imgur-sync raises on purpose descends from one root, so a caller can catch
``ImgurSyncError`` and know the problem was understood and explained::

    ImgurSyncError                      root (imgur_sync/errors.py; re-exported here)
    ├── UsageError                      our side: a call that cannot work as written
    └── ImgurError                      anything about talking to Imgur
        ├── TransportError              no usable answer: connection, timeout        retryable
        ├── MalformedResponse           an answer that is not the JSON it should be   retryable
        ├── UnsafePath                  an id that cannot go into a URL ("../x"); never sent
        ├── MediaRefused                media not fetched or given up: an untrusted
        │                               host, a body too long, a download too slow
        └── ApiError                    Imgur answered with an error status
            ├── BadRequest          400 a parameter is missing or wrong
            ├── AuthenticationError 401, or 403 "access token provided is invalid"
            ├── Forbidden           403 no permission
            ├── NotFound            404
            │   └── MediaRemoved        media Imgur replaced with its removed.png
            ├── RateLimited         429                                           retryable
            │   └── HeldBack            not sent: this client's share spent, or its
            │                           credits down to the reserve
            ├── OverCapacity        "Imgur is over capacity" (403/429/500/1203)    retryable
            └── ServerError         5xx                                           retryable

Callers decide by ``retryable`` rather than by status codes. Messages never contain
tokens or secrets: they name the request by method and path only.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Any

# The root of the tree is the package's own (standard library only), so that the rest of
# imgur_sync can name it without loading this client.
from ..errors import ImgurSyncError, UsageError

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequest",
    "BrokenDownload",
    "CookieRefused",
    "Forbidden",
    "HeldBack",
    "ImgurError",
    "ImgurSyncError",
    "MalformedResponse",
    "MediaRefused",
    "MediaRemoved",
    "NotFound",
    "OverCapacity",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unavailable",
    "UnsafePath",
    "UsageError",
    "error_for",
    "why_no_answer",
]


class ImgurError(ImgurSyncError):
    """A problem talking to Imgur."""

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        return f"{self.message}{where}"


class TransportError(ImgurError):
    """No answer came back: the connection failed or timed out."""

    retryable = True


class BrokenDownload(TransportError):
    """A media body stopped before its end (the connection broke while it was read)."""


class MediaRefused(ImgurError):
    """A media link or body refused: a host that is not Imgur's, too many bytes, too slow.

    Not retried: the same link would be refused again, and a slow host would hold a
    download worker as long again. The next pull tries once more.
    """


class MalformedResponse(ImgurError):
    """An answer arrived but is not the JSON it should be (an HTML page, a cut-off body)."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, method: str = "",
                 path: str = "", body: str = "") -> None:
        super().__init__(message, method=method, path=path)
        self.status = status
        self.body = body[:500]


class UnsafePath(ImgurError):
    """A request path holding an id no Imgur id looks like ("..", a NUL, 5,000 characters).

    Ids in paths mostly come from Imgur's own answers; one that could climb out of its place
    in the URL (with the token attached) is refused before anything is sent.
    """


class ApiError(ImgurError):
    """Imgur answered with an error status and (usually) its own message."""

    def __init__(self, message: str, *, status: int, method: str = "", path: str = "",
                 body: Any = None, retry_after: float | None = None) -> None:
        super().__init__(message, method=method, path=path)
        self.status = status
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"Imgur answered {self.status}: {super().__str__()}"


class BadRequest(ApiError):
    """400: a required parameter is missing or out of range, or the upload was refused."""


class AuthenticationError(ApiError):
    """The request needs a user, or the access token is invalid or expired."""


class CookieRefused(AuthenticationError):
    """Imgur's API v3 did not take the browser's cookie token as a Bearer token."""


class Forbidden(ApiError):
    """403: the signed-in user may not do this."""


class NotFound(ApiError):
    """404: no such item (or it was deleted)."""


class MediaRemoved(NotFound):
    """Imgur removed the media: its link now redirects to ``removed.png``."""


class RateLimited(ApiError):
    """429, or the client stopped itself to keep its credit reserve."""

    retryable = True


class HeldBack(RateLimited):
    """The client held a call back itself, to keep within its credits; nothing was sent."""

    def __str__(self) -> str:  # not "Imgur answered 429": Imgur was not asked
        return ImgurError.__str__(self)


class OverCapacity(ApiError):
    """Imgur says it is over capacity; it usually clears within minutes to an hour."""

    retryable = True


class Unavailable(ImgurError):
    """This part of the account cannot be read with this sign-in (or at all, any more).

    Not a failure of the run: nothing is removed for it, and it is said once, with the fix.
    """


class ServerError(ApiError):
    """5xx: Imgur failed; trying again later usually works."""

    retryable = True


_INVALID_TOKEN = "access token"


def error_for(status: int, message: str, **context: Any) -> ApiError:
    """Return the typed error for an error status and Imgur's message."""
    lowered = message.lower()
    if "capacity" in lowered:
        return OverCapacity(message, status=status, **context)
    if status == 429:
        return RateLimited(message, status=status, **context)
    if status >= 500:
        return ServerError(message, status=status, **context)
    if status == 401 or (status == 403 and _INVALID_TOKEN in lowered) or (
            status == 403 and "requires authentication" in lowered):
        return AuthenticationError(message, status=status, **context)
    cls = {400: BadRequest, 403: Forbidden, 404: NotFound}.get(status, ApiError)
    return cls(message, status=status, **context)


def why_no_answer(exc: BaseException) -> str:
    """Say in plain words why a request got no answer, from what the HTTP library raised.

    requests and urllib3 wrap the operating system's error several layers deep (a
    ConnectionError holding a MaxRetryError holding a NewConnectionError holding the
    refusal); the user needs the innermost fact, not the wrappers' class names.
    """
    for cause in _causes(exc):
        name = type(cause).__name__
        if "ProxyError" in name:
            return "the proxy failed or refused the connection"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "the server's TLS certificate could not be verified"
        if isinstance(cause, ssl.SSLError):
            return "the TLS connection failed"
        if isinstance(cause, socket.gaierror) or name == "NameResolutionError":
            return "the host name could not be resolved (is the network up?)"
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(cause, TimeoutError) or "Timeout" in name:
            return "it timed out"
        if isinstance(cause, (ConnectionResetError, BrokenPipeError)) or name in (
                "RemoteDisconnected", "IncompleteRead", "ProtocolError"):
            return "the connection was cut off"
    return f"the connection failed ({type(exc).__name__})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc`` and what it wraps, outermost first, each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 20:
        cause = todo.pop(0)
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        wrapped = [cause.__cause__, cause.__context__, getattr(cause, "reason", None),
                   *(a for a in cause.args if isinstance(a, BaseException))]
        todo.extend(w for w in wrapped if isinstance(w, BaseException))
