"""The route registry and the per-request context handlers receive.

Handlers live in ``routes_*.py`` and register with :func:`route`; ``app.py`` turns the
registry into a werkzeug ``Map`` and runs the pipeline (auth, faults, rate limits,
envelope, ETag) around them. A handler returns the value for ``data`` (or a werkzeug
``Response`` for media, OAuth and redirects) and raises :class:`ApiError` for failures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .state import Account, NotFound, Token, World

if TYPE_CHECKING:
    from .app import SandboxApp

# Who may call a route: "none" (no Authorization needed), "client" (Client-ID or
# Bearer), "user" (Bearer only), "cookie" (the web API's ``accesstoken`` cookie).
AUTH_LEVELS = ("none", "client", "user", "cookie")


class ApiError(Exception):
    """An Imgur error answer: ``{"data": {"error": ...}, "success": false, ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(what: str = "resource") -> ApiError:
    """Return Imgur's 404 for a missing object."""
    return ApiError(404, f"Unable to find {what}")


@dataclass(frozen=True)
class Route:
    """One registered endpoint."""

    rule: str
    methods: tuple[str, ...]
    handler: Callable[..., Any]
    auth: str = "client"
    cost: int = 1  # rate-limit credits; uploads cost 10, OAuth is free
    kind: str = "api"  # api | web (/post/v1) | oauth | media | control
    legacy: bool = False  # answered only while legacy routes are switched on


REGISTRY: list[Route] = []


def route(rule: str, *methods: str, auth: str = "client", cost: int = 1, kind: str = "api",
          legacy: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function for ``rule`` and ``methods`` (default GET)."""
    assert auth in AUTH_LEVELS, auth

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY.append(Route(rule, tuple(methods) or ("GET",), handler, auth, cost, kind, legacy))
        return handler

    return register


@dataclass
class Ctx:
    """What a handler needs about one request."""

    request: Request
    app: SandboxApp
    base: str  # this server's own URL, e.g. http://127.0.0.1:8123 (also the media host)
    client_id: str | None = None
    token: Token | None = None
    _params: MultiDict | None = field(default=None, repr=False)

    @property
    def world(self) -> World:
        """The sandbox's state."""
        return self.app.world

    @property
    def media(self) -> str:
        """The base URL of media links (i.imgur.com's stand-in): this server unless set."""
        return (self.app.options.media_url or self.base).rstrip("/")

    @property
    def old_shapes(self) -> bool:
        """True to answer in the old docs' shapes rather than the recorded real ones."""
        return self.app.options.old_shapes

    @property
    def viewer(self) -> str | None:
        """The signed-in username, or None for Client-ID calls."""
        return self.token.username if self.token else None

    def params(self) -> MultiDict:
        """Query, form and JSON body parameters together (Imgur accepts them all)."""
        if self._params is None:
            merged: MultiDict = MultiDict(self.request.args)
            for key, value in self.request.form.items(multi=True):
                merged.add(key, value)
            if self.request.is_json:
                body = self.request.get_json(silent=True)
                if isinstance(body, dict):
                    for key, value in body.items():
                        for item in value if isinstance(value, list) else [value]:
                            merged.add(key, item)
            self._params = merged
        return self._params

    def param(self, name: str, default: str | None = None) -> str | None:
        """Return one parameter as a string (None values count as absent)."""
        value = self.params().get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        """Return a boolean parameter (true/1/yes)."""
        value = self.param(name)
        if value is None:
            return default
        return value.strip().lower() in {"1", "true", "yes", "on"}

    def id_list(self, name: str = "ids") -> list[str] | None:
        """Return ``name[]`` / repeated ``name`` / comma-joined ``name`` as one list."""
        raw = self.params().getlist(f"{name}[]") + self.params().getlist(name)
        if not raw:
            return None
        ids: list[str] = []
        for value in raw:
            ids += [part.strip() for part in str(value).split(",") if part.strip()]
        return ids

    def require_user(self) -> str:
        """Return the signed-in username or raise Imgur's 403."""
        if self.viewer is None:
            raise ApiError(403, "This method requires authentication")
        return self.viewer

    def account(self, username: str) -> Account:
        """Resolve ``{u}`` in a path: ``me`` needs a Bearer token."""
        if username == "me":
            return self.world.account(self.require_user())
        try:
            return self.world.account(username)
        except NotFound:
            raise ApiError(404, f"Unable to find account {username}") from None

    def own_account(self, username: str) -> Account:
        """Resolve ``{u}`` for owner-only routes: it must be the signed-in user."""
        account = self.account(username)
        if account.url.lower() != self.require_user().lower():
            raise ApiError(403, "You do not have permission to access this resource")
        return account

    def page(self, items: list[Any], page: int, size: int, *, fixed: bool = False) -> list[Any]:
        """Return 0-based page ``page``; ``perPage`` (≤100) overrides ``size`` unless fixed."""
        if not fixed:
            per_page = self.param("perPage")
            if per_page and per_page.isdigit() and int(per_page) > 0:
                size = min(int(per_page), 100)
        start = max(page, 0) * size
        return items[start:start + size]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  ) -> Response:
    """Serialise ``body`` as an application/json answer."""
    return Response(json.dumps(body, separators=(",", ":")), status=status,
                    mimetype="application/json", headers=headers)


def web_error(status: int, message: str) -> Response:
    """The web API's error answer, in the JSON:API style: ``{"errors": [...]}``."""
    return json_response({"errors": [{"code": str(status), "status": str(status),
                                      "detail": message}]}, status)
