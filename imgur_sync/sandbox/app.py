"""The sandbox's WSGI application: the request pipeline around the route handlers.

werkzeug does the HTTP work we would otherwise hand-write: URL routing with converters
(``Map``/``Rule``), query/form/multipart/JSON body parsing, and the threaded server in
``server.py``. It is small, well kept and has no dependencies of its own, which is why
it was chosen over a framework (Flask adds nothing we need) or ``http.server`` (no
routing, no multipart parser since ``cgi`` left the standard library).

Pipeline for ``/3/`` routes: count → match → authenticate → rate limit → fault →
handler → envelope → ETag/304 → rate-limit headers.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import faults as fault_shapes
from .faults import FaultPlan
from .routing import REGISTRY, ApiError, Ctx, Route, json_response, web_error
from .state import NotFound as WorldNotFound
from .state import World

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/__sandbox__"


@dataclass
class SandboxOptions:
    """Knobs of the fake Imgur; defaults follow docs/IMGUR-API.md."""

    page_size: int = 50
    favorites_page_size: int = 60
    comments_page_size: int = 50
    gallery_page_size: int = 60
    legacy_routes: bool = True  # conversations/notification routes; Imgur today answers 404
    # The tidier shapes of the old docs instead of those in recorded answers (2023–2024):
    # the 2015 reply list, ``true`` from PUT /album, no null/"" stand-ins for missing fields.
    old_shapes: bool = False
    token_lifetime: int = 3600
    client_limit: int = 12500
    user_limit: int = 2000  # Bearer calls
    anon_user_limit: int = 500  # Client-ID calls
    user_window: int = 3600
    post_limit: int = 1250
    post_window: int = 3600
    enforce_rate_limits: bool = False  # answer 429 once credits run out
    enforce_post_limit: bool = False
    max_image_bytes: int = 10 * 1024 * 1024
    max_video_bytes: int = 200 * 1024 * 1024
    # Where media links point: None for this server itself; another address stands in for
    # i.imgur.com as a host of its own (one that is down, say).
    media_url: str | None = None
    # The web API (/post/v1): the client id imgur.com's own pages send, its page size, and
    # which list routes answer ``{"data": [...]}`` instead of a bare list (flipped: the other).
    # The world's own value, as imgur.com's pages send it (the client's default matches it).
    web_client_id: str = "546c25a59c58ad7"
    web_page_size: int = 60
    web_flip_bodies: bool = False
    # Media per post in the list routes, 0 for all (image_count still counts every one).
    web_listing_media: int = 0
    # "broken": /oauth2/authorize shows Imgur's "Error (1024)" page, as it has since 2025-07.
    oauth_authorize: str = "works"
    # Whether /3/ takes the browser's cookie token as ``Authorization: Bearer`` (unknown live).
    cookie_bearer: str = "refuse"

    def __post_init__(self) -> None:
        if self.oauth_authorize not in ("works", "broken"):
            raise ValueError("oauth_authorize must be 'works' or 'broken'")
        if self.cookie_bearer not in ("refuse", "accept"):
            raise ValueError("cookie_bearer must be 'refuse' or 'accept'")


@dataclass
class Counters:
    """What clients asked for; tests read these to count requests and downloads."""

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    requests: int = 0
    by_route: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    media_requests: int = 0
    media_bytes: int = 0
    media_by_image: Counter = field(default_factory=Counter)
    uploads: int = 0
    faults: Counter = field(default_factory=Counter)

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as plain data."""
        with self.lock:
            return {
                "requests": self.requests,
                "by_route": dict(self.by_route),
                "by_status": {str(k): v for k, v in self.by_status.items()},
                "media_requests": self.media_requests,
                "media_bytes": self.media_bytes,
                "media_by_image": dict(self.media_by_image),
                "uploads": self.uploads,
                "faults": dict(self.faults),
            }

    def reset(self) -> None:
        """Zero every counter."""
        with self.lock:
            self.requests = self.media_requests = self.media_bytes = self.uploads = 0
            for counter in (self.by_route, self.by_status, self.media_by_image, self.faults):
                counter.clear()


@dataclass
class _Bucket:
    limit: int
    remaining: int
    reset_at: float


class RateLimits:
    """Imgur's credit counters: per client (daily), per user/IP (hourly), POSTs per IP."""

    def __init__(self, options: SandboxOptions, clock: Callable[[], float]) -> None:
        self.options = options
        self.clock = clock
        self.lock = threading.Lock()
        self.buckets: dict[tuple[str, str], _Bucket] = {}

    def _bucket(self, kind: str, key: str, limit: int, window: int) -> _Bucket:
        now = self.clock()
        bucket = self.buckets.get((kind, key))
        if bucket is None or now >= bucket.reset_at:
            bucket = _Bucket(limit, limit, now + window)
            self.buckets[(kind, key)] = bucket
        return bucket

    def charge(self, client: str, user: str, bearer: bool, cost: int, is_post: bool,
               ) -> tuple[dict[str, str], bool]:
        """Spend ``cost`` credits; return the headers and whether the call is over budget."""
        o = self.options
        with self.lock:
            c = self._bucket("client", client, o.client_limit, 86400)
            u = self._bucket("user", user, o.user_limit if bearer else o.anon_user_limit,
                             o.user_window)
            over = o.enforce_rate_limits and cost > 0 and (c.remaining < cost or u.remaining < cost)
            p = self._bucket("post", user, o.post_limit, o.post_window) if is_post else None
            if p is not None and o.enforce_post_limit and p.remaining <= 0:
                over = True
            if not over:
                c.remaining = max(0, c.remaining - cost)
                u.remaining = max(0, u.remaining - cost)
                if p is not None:
                    p.remaining = max(0, p.remaining - 1)
            headers = {
                "X-RateLimit-UserLimit": str(u.limit),
                "X-RateLimit-UserRemaining": str(u.remaining),
                "X-RateLimit-UserReset": str(int(u.reset_at)),
                "X-RateLimit-ClientLimit": str(c.limit),
                "X-RateLimit-ClientRemaining": str(c.remaining),
                # Seconds until the daily reset, as Imgur sends it (e.g. 86341).
                "X-RateLimit-ClientReset": str(max(0, int(c.reset_at - self.clock()))),
            }
            if p is not None:
                headers["X-Post-Rate-Limit-Limit"] = str(p.limit)
                headers["X-Post-Rate-Limit-Remaining"] = str(p.remaining)
                # Seconds until reset, not an epoch (docs/IMGUR-API.md §Rate limits).
                headers["X-Post-Rate-Limit-Reset"] = str(max(0, int(p.reset_at - self.clock())))
            return headers, over

    def credits(self, client: str, user: str, bearer: bool) -> dict[str, int]:
        """Return the ``/3/credits`` body without spending anything."""
        o = self.options
        with self.lock:
            c = self._bucket("client", client, o.client_limit, 86400)
            u = self._bucket("user", user, o.user_limit if bearer else o.anon_user_limit,
                             o.user_window)
            return {"UserLimit": u.limit, "UserRemaining": u.remaining,
                    "UserReset": int(u.reset_at), "ClientLimit": c.limit,
                    "ClientRemaining": c.remaining}


def envelope(data: Any, status: int = 200) -> dict[str, Any]:
    """Wrap ``data`` the way every /3/ answer is wrapped."""
    return {"data": data, "success": 200 <= status < 300, "status": status}


def error_response(status: int, message: str, path: str, method: str) -> Response:
    """Imgur's normal error envelope."""
    return json_response(
        envelope({"error": message, "request": path, "method": method}, status), status)


class SandboxApp:
    """The WSGI callable; one per sandbox."""

    def __init__(self, world: World, options: SandboxOptions | None = None,
                 faults: FaultPlan | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        # Importing the route modules fills REGISTRY.
        from . import (  # noqa: F401
            routes_account,
            routes_album,
            routes_control,
            routes_gallery,
            routes_image,
            routes_legacy,
            routes_media,
            routes_oauth,
            routes_web,
        )

        self.world = world
        self.options = options or SandboxOptions()
        self.faults = faults or FaultPlan()
        self.sleep = sleep
        self.counters = Counters()
        self.limits = RateLimits(self.options, world.clock)
        self._fault_lock = threading.Lock()
        self._fault_n = Counter()
        world.token_lifetime = self.options.token_lifetime
        self.url_map = Map(
            [Rule(r.rule, endpoint=r, methods=list(r.methods)) for r in REGISTRY],
            strict_slashes=False,
            merge_slashes=True,
        )

    # -- faults -----------------------------------------------------------------------

    def fault_number(self, category: str) -> int:
        with self._fault_lock:
            self._fault_n[category] += 1
            return self._fault_n[category]

    def strikes(self, kind: str, n: int) -> bool:
        """Return True (and count it) if request ``n`` suffers fault ``kind``."""
        if self.faults.strikes(kind, n):
            with self.counters.lock:
                self.counters.faults[kind] += 1
            return True
        return False

    # -- WSGI -------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Exception:  # a sandbox bug: answer like Imgur would, and say so in the log
            log.exception("sandbox error on %s %s", request.method, request.path)
            response = error_response(500, "Internal server error", request.path,
                                      request.method)
        finally:
            request.close()  # uploaded files spool to temp files; close them, not the GC
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Answer one request."""
        path = request.path
        # ".json" on the route is the documented default format (docs/IMGUR-API.md §Formats).
        lookup = path[:-5] if path.endswith(".json") else path
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            matched, args = adapter.match(path_info=lookup, method=request.method)
        except MethodNotAllowed:
            return error_response(405, "Method not allowed", path, request.method)
        except NotFound:
            return self._unknown(path, request.method)
        except HTTPException as exc:  # redirects for trailing slashes and the like
            return exc.get_response(request.environ)
        route: Route = matched
        if route.legacy and not self.options.legacy_routes:
            return self._unknown(path, request.method)
        ctx = Ctx(request=request, app=self, base=request.host_url.rstrip("/"))
        if route.kind == "api":
            return self._api(route, ctx, args)
        if route.kind == "web":
            return self._web(route, ctx, args)
        with self.counters.lock:
            self.counters.by_route[f"{request.method} {route.rule}"] += 1
        return self._call(route, ctx, args)

    def _unknown(self, path: str, method: str) -> Response:
        with self.counters.lock:
            self.counters.by_status[404] += 1
        return error_response(404, f"Unable to find the route {path}", path, method)

    def _call(self, route: Route, ctx: Ctx, args: dict[str, Any]) -> Response:
        request = ctx.request
        # Media handlers render outside the lock so downloads run in parallel.
        lock = nullcontext() if route.kind == "media" else self.world.lock
        try:
            with lock:
                result = route.handler(ctx, **args)
        except ApiError as exc:
            return error_response(exc.status, exc.message, request.path, request.method)
        except WorldNotFound:
            return error_response(404, "Unable to find the requested resource", request.path,
                                  request.method)
        if isinstance(result, Response):
            return result
        return json_response(envelope(result))

    def _begin(self, route: Route, request: Request) -> int:
        """Number and count an API request, and play a slow network if it is due one."""
        n = self.fault_number("api")
        with self.counters.lock:
            self.counters.requests += 1
            self.counters.by_route[f"{request.method} {route.rule}"] += 1
        if self.strikes("slow", n):
            self.sleep(self.faults.slow_seconds)
        return n

    def _api(self, route: Route, ctx: Ctx, args: dict[str, Any]) -> Response:
        request = ctx.request
        path, method = request.path, request.method
        n = self._begin(route, request)
        denied = self._authenticate(ctx, route, n)
        if denied is not None:
            return self._finish(denied)

        bearer = ctx.token is not None
        user_key = ctx.viewer.lower() if ctx.viewer else (request.remote_addr or "?")
        headers, over = self.limits.charge(ctx.client_id or "?", user_key, bearer, route.cost,
                                           method == "POST")
        if over:
            return self._finish(fault_shapes.rate_limited(self.faults.retry_after), headers)
        faulted = self._fault(n, path, method, headers)
        if faulted is not None:
            return faulted

        planted = path.removesuffix(".json")
        if method == "GET" and planted in self.world.raw_answers:
            response = json_response(envelope(self.world.raw_answers[planted]))
        else:
            response = self._call(route, ctx, args)
        if self.strikes("malformed_json", n):
            return self._finish(fault_shapes.garble(response), headers)
        if method == "GET" and response.status_code == 200:
            etag = f'W/"{hashlib.sha1(response.get_data()).hexdigest()}"'
            response.headers["ETag"] = etag
            if etag in request.headers.get("If-None-Match", ""):
                response = Response(status=304, headers={"ETag": etag})
        return self._finish(response, headers)

    def _fault(self, n: int, path: str, method: str, headers: dict[str, str],
               *, web: bool = False) -> Response | None:
        """Return the injected failure request ``n`` suffers, if any."""
        throttled = fault_shapes.web_throttled if web else (
            lambda: fault_shapes.rate_limited(self.faults.retry_after))
        for kind, make in (
            ("server_error", lambda: fault_shapes.server_error(path, method)),
            ("rate_limit", throttled),
            ("over_capacity", fault_shapes.over_capacity),
            ("html_503", fault_shapes.html_503),
        ):
            if self.strikes(kind, n):
                if kind == "rate_limit" and self.faults.exhausts(n) and not web:
                    headers = {**headers, **fault_shapes.client_spent(self.faults.client_reset)}
                return self._finish(make(), headers)
        return None

    def _web(self, route: Route, ctx: Ctx, args: dict[str, Any]) -> Response:
        """The web API (/post/v1): cookie or Client-ID, bare bodies, no credit headers."""
        request = ctx.request
        n = self._begin(route, request)
        denied = self._web_authenticate(ctx, route)
        if denied is not None:
            return self._finish(denied)
        faulted = self._fault(n, request.path, request.method, {}, web=True)
        if faulted is not None:
            return faulted
        try:
            with self.world.lock:
                response = route.handler(ctx, **args)
        except ApiError as exc:
            response = web_error(exc.status, exc.message)
        except WorldNotFound:
            response = web_error(404, "Unable to find the requested resource")
        if self.strikes("malformed_json", n):
            response = fault_shapes.garble(response)
        return self._finish(response)

    def _web_authenticate(self, ctx: Ctx, route: Route) -> Response | None:
        """Fill ``ctx`` from the ``accesstoken`` cookie or a Client-ID, or refuse."""
        request = ctx.request
        web_id = self.options.web_client_id
        if route.auth == "cookie":
            if request.args.get("client_id") != web_id:
                return web_error(403, "Invalid client_id")
            session = self.world.cookie_for(request.cookies.get("accesstoken", ""))
            if session is None:
                return web_error(401, "Unauthorized: the accesstoken cookie is missing or "
                                      "no longer valid")
            ctx.token, ctx.client_id = session, web_id
            return None
        scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
        credential = credential.strip() or request.args.get("client_id", "")
        if scheme.lower() not in ("client-id", "") or not credential:
            return web_error(401, "Authentication required")
        if credential != web_id and credential not in self.world.clients:
            return web_error(403, "Invalid client_id")
        ctx.client_id = credential
        return None

    def _finish(self, response: Response, headers: dict[str, str] | None = None) -> Response:
        with self.counters.lock:
            self.counters.by_status[response.status_code] += 1
        for key, value in (headers or {}).items():
            response.headers[key] = value
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        response.headers["Server"] = "cat factory 1.0"
        return response

    def _authenticate(self, ctx: Ctx, route: Route, n: int) -> Response | None:
        """Fill ``ctx.client_id``/``ctx.token`` or return Imgur's refusal."""
        request = ctx.request
        path, method = request.path, request.method
        header = request.headers.get("Authorization", "").strip()
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential:
            token = self.world.tokens.get(credential)
            if token is not None and self.strikes("token_expiry", n):
                token.expires_at = min(token.expires_at, self.world.clock() - 1)
            live = self.world.token_for(credential)
            if live is None and self.options.cookie_bearer == "accept":
                live = self.world.cookie_for(credential)
            if live is None:
                return error_response(403, "The access token provided is invalid.", path, method)
            ctx.token, ctx.client_id = live, live.client_id
        elif scheme.lower() == "client-id" and credential:
            # imgur.com's own id works on /3/ too (gallery-dl reads /3/ with it).
            if credential not in self.world.clients and credential != self.options.web_client_id:
                return error_response(403, "Invalid client_id", path, method)
            ctx.client_id = credential
        elif request.args.get("client_id") in self.world.clients:
            ctx.client_id = request.args["client_id"]
        elif route.auth != "none":
            return error_response(401, "Authentication required", path, method)
        if route.auth == "user" and ctx.token is None:
            return error_response(403, "This method requires authentication", path, method)
        return None
