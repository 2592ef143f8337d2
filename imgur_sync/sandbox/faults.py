"""Fault injection: the ways the real Imgur fails, on request, deterministic from a seed.

Each kind has its own probability. Whether request number *n* (counted per category:
API calls and media downloads separately) suffers a fault of a kind depends only on
``(seed, kind, n)``, so a run with the same seed and the same request order fails the
same way. The wire shapes are the real ones from docs/IMGUR-API.md §Errors.

Most faults strike before the handler runs (the server never did the work), but
``malformed_json`` strikes after it: the server did the work and the answer was
garbled on the way back, which is exactly the case a client's retry logic must not turn
into a duplicate upload.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

# kind -> what it does
KINDS: dict[str, str] = {
    "server_error": "500 with an object `error` (Imgur's ImgurException body)",
    "rate_limit": "429 with the JSON:API `errors[]` body and Retry-After; a share of them "
                  "(`client_exhausted`) also say the application's credits are spent",
    "over_capacity": "403 'Imgur is temporarily over capacity' without request/method",
    "malformed_json": "200 whose JSON body is cut short (after the work was done)",
    "html_503": "503 Varnish-style HTML page with Retry-After: 0",
    "truncated_media": "a media download whose body stops before Content-Length",
    "slow": "the answer is delayed by `slow_seconds`",
    "token_expiry": "the caller's access token expires early (403 invalid token)",
    "library_agent": "the media host answers 429 to a library User-Agent (python-requests…)",
}
MEDIA_KINDS = frozenset({"truncated_media", "slow", "library_agent"})
API_KINDS = frozenset(KINDS) - {"truncated_media", "library_agent"}
# User-Agents of HTTP libraries, which i.imgur.com can refuse (docs/IMGUR-API.md §Media).
LIBRARY_AGENTS = ("python-requests/", "python-urllib3/", "python-urllib/", "python-httpx/",
                  "aiohttp/", "curl/", "wget/", "go-http-client/")


@dataclass
class FaultPlan:
    """Probabilities per fault kind plus the knobs of the faults themselves."""

    rates: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    slow_seconds: float = 0.5
    retry_after: int = 1
    # The share of rate_limit faults sent with X-RateLimit-ClientRemaining: 0, as a real
    # 2024 answer was, and the X-RateLimit-ClientReset (seconds) they give. The reset is
    # short by default so that a faulted run gets going again within it.
    client_exhausted: float = 0.5
    client_reset: int = 1

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(KINDS)
        if unknown:
            raise ValueError(
                f"unknown fault kind(s) {', '.join(sorted(unknown))}; "
                f"known kinds: {', '.join(KINDS)}"
            )
        for kind, rate in self.rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate for {kind} must be between 0 and 1, not {rate}")
        if not 0.0 <= self.client_exhausted <= 1.0:
            raise ValueError("client_exhausted is the share of rate_limit faults that spend the "
                             f"client's credits, between 0 and 1, not {self.client_exhausted}")
        if self.client_reset < 0:
            raise ValueError(f"client_reset is seconds, 0 or more, not {self.client_reset}")

    def strikes(self, kind: str, n: int) -> bool:
        """Return True if request number ``n`` suffers fault ``kind``."""
        return self._draw(kind, n) < self.rates.get(kind, 0.0)

    def exhausts(self, n: int) -> bool:
        """Return True if a rate_limit fault on request ``n`` says the credits are spent."""
        return self._draw("client_exhausted", n) < self.client_exhausted

    def _draw(self, kind: str, n: int) -> float:
        """A number in [0, 1) that depends on the seed, ``kind`` and ``n`` only."""
        digest = hashlib.blake2b(f"{self.seed}:{kind}:{n}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64


def parse_spec(spec: str) -> dict[str, float]:
    """Parse ``"server_error=0.1,slow=0.05"`` (or ``"all=0.1"``) into rates."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"fault {part!r} needs a rate, e.g. {part}=0.1")
        try:
            rate = float(value)
        except ValueError:
            raise ValueError(f"fault rate {value!r} for {name} is not a number") from None
        for kind in KINDS if name == "all" else [name]:
            rates[kind] = rate
    FaultPlan(rates)  # validates names and ranges
    return rates


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers=headers)


def server_error(path: str, method: str) -> Response:
    """500 whose ``data.error`` is an object (NET MockErrors.ImgurClient500Error)."""
    error = {"code": 500, "message": "Could not complete request", "type": "ImgurException",
             "exception": {}}
    return _json({"data": {"error": error, "request": path, "method": method},
                  "success": False, "status": 500}, 500)


def rate_limited(retry_after: int) -> Response:
    """429 in the JSON:API style seen since 2024: no data/success/status."""
    body = {"errors": [{"id": "legacy-api-7d5c8f9b6-q2x7l", "code": "429",
                        "status": "Too Many Requests", "detail": "Too Many Requests"}]}
    return _json(body, 429, {"Retry-After": str(retry_after)})


def web_throttled() -> Response:
    """429 from the web API while it sheds load: the body speaks of capacity."""
    body = {"errors": [{"code": "429", "status": "Too Many Requests",
                        "detail": "Imgur is temporarily over capacity. Please try again later."}]}
    return _json(body, 429)


def client_spent(reset: int) -> dict[str, str]:
    """The headers of a 429 sent when the application's daily credits are spent."""
    return {"X-RateLimit-ClientRemaining": "0", "X-RateLimit-ClientReset": str(reset)}


def over_capacity() -> Response:
    """403 over capacity, the common shape: no request/method keys."""
    return _json({"data": {"error": "Imgur is temporarily over capacity. Please try again later."},
                  "success": False, "status": 403}, 403)


def html_503() -> Response:
    """A Varnish HTML 503 page, as Imgur's CDN serves it."""
    page = (
        "<!DOCTYPE html>\n<html><head><title>503 client read error</title></head>\n"
        "<body><h1>Error 503 client read error</h1><p>client read error</p>\n"
        "<h3>Guru Meditation:</h3><p>XID: 1102291869</p><hr><p>Varnish cache server</p>"
        "</body></html>\n"
    )
    return Response(page, status=503, mimetype="text/html",
                    headers={"Retry-After": "0", "Server": "cat factory 1.0"})


def garble(response: Response) -> Response:
    """Cut a JSON body short while keeping the status and headers."""
    body = response.get_data()
    response.set_data(body[: max(1, len(body) // 2)])
    return response


def is_library_agent(user_agent: str) -> bool:
    """Whether a User-Agent is an HTTP library's default, not a browser's."""
    return not user_agent or user_agent.lower().startswith(LIBRARY_AGENTS)


def refused_agent() -> Response:
    """i.imgur.com's 429 to a library User-Agent: a bare page, no JSON, no Retry-After."""
    return Response("<html><body><h1>429 Too Many Requests</h1></body></html>", status=429,
                    mimetype="text/html")


def truncate(body: bytes, mimetype: str) -> Response:
    """A media answer that promises ``len(body)`` bytes and closes after fewer."""
    part = body[: len(body) // 2]
    response = Response([part], status=200, mimetype=mimetype)
    response.headers["Content-Length"] = str(len(body))
    response.headers["Connection"] = "close"
    return response
