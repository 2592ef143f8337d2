"""Test control over HTTP under ``/__sandbox__/``: state dump, counters, mutations, faults,
the clock.

The same operations are the Python API (``Sandbox.world``, ``Sandbox.counters``,
``Sandbox.set_faults``, ``Sandbox.advance``); this prefix lets a test in another process (a
daemon under test, a shell script) use them. Control calls are never faulted, charged or counted.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

from werkzeug.wrappers import Response

from .exports import write_export
from .faults import FaultPlan
from .routing import ApiError, Ctx, route
from .seeds import seed_account
from .state import NotFound

PREFIX = "/__sandbox__"

# World methods a test may call through /__sandbox__/mutate/<op>.
MUTATIONS = frozenset({
    "add_account", "add_image", "delete_image", "retitle_image", "remove_media",
    "add_album", "delete_album", "retitle_album", "set_album_images", "add_album_images",
    "remove_album_images", "move_image", "favorite", "toggle_favorite", "share", "unshare",
    "add_comment", "add_message", "expire_tokens", "expire_cookies", "raw_answer", "set_image_link",
})


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {"id": getattr(value, "id", None), "type": type(value).__name__}
    return value


@route(PREFIX + "/state", auth="none", kind="control")
def state(ctx: Ctx) -> dict[str, Any]:
    """Dump the whole account state."""
    return ctx.world.dump()


@route(PREFIX + "/counters", auth="none", kind="control")
def counters(ctx: Ctx) -> dict[str, Any]:
    """Request and media counters."""
    return ctx.app.counters.snapshot()


@route(PREFIX + "/counters/reset", "POST", auth="none", kind="control")
def reset_counters(ctx: Ctx) -> bool:
    """Zero the counters."""
    ctx.app.counters.reset()
    return True


@route(PREFIX + "/mutate/<op>", "POST", auth="none", kind="control")
def mutate(ctx: Ctx, op: str) -> Any:
    """Call a World mutation with the JSON body as keyword arguments."""
    if op not in MUTATIONS:
        raise ApiError(400, f"unknown mutation {op!r}; known: {', '.join(sorted(MUTATIONS))}")
    kwargs = ctx.request.get_json(silent=True) or {}
    if not isinstance(kwargs, dict):
        raise ApiError(400, "the body must be a JSON object of keyword arguments")
    try:
        return _plain(getattr(ctx.world, op)(**kwargs))
    except NotFound as exc:
        raise ApiError(404, f"not found: {exc}") from None
    except TypeError as exc:
        raise ApiError(400, str(exc)) from None


@route(PREFIX + "/faults", "GET", "POST", auth="none", kind="control")
def faults(ctx: Ctx) -> dict[str, Any]:
    """Read or replace the fault plan: ``{"rates": {...}, "seed": 1, ...}``."""
    if ctx.request.method == "POST":
        body = ctx.request.get_json(silent=True) or {}
        try:
            ctx.app.faults = FaultPlan(**body)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, str(exc)) from None
    return dataclasses.asdict(ctx.app.faults)


@route(PREFIX + "/clock", "GET", "POST", auth="none", kind="control")
def clock(ctx: Ctx) -> dict[str, float]:
    """Read or move the world's clock: ``{"advance": seconds}`` or ``{"set": epoch}``.

    Credit buckets renew when the clock passes their reset, as Imgur's do with time.
    """
    world_clock = ctx.world.clock
    if ctx.request.method == "POST":
        body = ctx.request.get_json(silent=True)
        if not isinstance(body, dict) or len(body.keys() & {"advance", "set"}) != 1 or (
                body.keys() - {"advance", "set"}):
            raise ApiError(400, 'send {"advance": seconds} or {"set": epoch seconds}')
        (key, value), = body.items()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ApiError(400, f"{key} must be a number of seconds, not {value!r}")
        try:
            world_clock.advance(value) if key == "advance" else world_clock.set(value)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
    return {"now": world_clock(), "offset": world_clock.offset}


@route(PREFIX + "/options", "GET", "POST", auth="none", kind="control")
def options(ctx: Ctx) -> dict[str, Any]:
    """Read or change sandbox options (page sizes, legacy routes, limits...)."""
    if ctx.request.method == "POST":
        body = ctx.request.get_json(silent=True) or {}
        known = {f.name for f in dataclasses.fields(ctx.app.options)}
        unknown = set(body) - known
        if unknown:
            raise ApiError(400, f"unknown option(s): {', '.join(sorted(unknown))}")
        for key, value in body.items():
            setattr(ctx.app.options, key, value)
        ctx.world.token_lifetime = ctx.app.options.token_lifetime
    return dataclasses.asdict(ctx.app.options)


@route(PREFIX + "/accounts", "POST", auth="none", kind="control")
def add_seeded_account(ctx: Ctx) -> dict[str, Any]:
    """Add an account with the ``big`` scenario's own content, signed in to a registered
    application: ``{"username": "Second", "client_id": "...", "scale": 1}``; answers its
    refresh token (``/__sandbox__/mutate`` answers no secrets)."""
    body = ctx.request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("username"), str) or \
            body.get("client_id") not in ctx.world.clients:
        raise ApiError(400, 'send {"username": "...", "client_id": "<a registered client id>", '
                            '"scale": 1}')
    if body["username"].lower() in ctx.world.accounts:
        raise ApiError(400, f"the account {body['username']} exists already")
    scale = body.get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= 1000:
        raise ApiError(400, f"scale must be a whole number from 1 to 1000, not {scale!r}")
    token = seed_account(ctx.world, body["username"], body["client_id"], scale)
    return {"username": body["username"], "refresh_token": token}


@route(PREFIX + "/export.zip", auth="none", kind="control")
def export_zip(ctx: Ctx) -> Response:
    """The main account's "Download account images" zip (``?account=`` for another)."""
    username = ctx.param("account") or ctx.world.main_user
    try:
        ctx.world.account(username)
    except NotFound:
        raise ApiError(404, f"not found: account {username}") from None
    out = io.BytesIO()
    write_export(ctx.world, username, out)
    return Response(out.getvalue(), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{username}-images.zip"'})
