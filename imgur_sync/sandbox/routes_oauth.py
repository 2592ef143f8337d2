"""OAuth 2: ``/oauth2/token`` (three grants) and an ``/oauth2/authorize`` page that approves.

The token endpoint answers the bare token object, not the ``data`` envelope
(docs/IMGUR-API.md §Auth). The authorize page signs in as the sandbox's main account at once
and answers the way Imgur did for each ``response_type``: a redirect with a token
fragment, a redirect with ``?code=``, or a page showing a PIN, so an auth flow can run
end to end with no person clicking. ``deny=1`` on the URL plays the user refusing.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from .routing import ApiError, Ctx, json_response, route
from .state import NotFound, Token

CALLBACK_PATH = "/oauth2/callback"


def token_body(ctx: Ctx, token: Token) -> dict[str, object]:
    """The token object Imgur returns (and puts in the redirect fragment)."""
    return {
        "access_token": token.access_token,
        "expires_in": int(token.expires_at - ctx.world.clock()),
        "token_type": "bearer",
        "scope": None,
        "refresh_token": token.refresh_token,
        "account_id": ctx.world.account(token.username).id,
        "account_username": token.username,
    }


def _client(ctx: Ctx, check_secret: bool) -> str:
    client_id = ctx.param("client_id") or ""
    if client_id not in ctx.world.clients:
        raise ApiError(400, "Invalid client_id")
    if check_secret and ctx.world.clients[client_id] != (ctx.param("client_secret") or ""):
        raise ApiError(401, "Invalid client_secret")
    return client_id


@route("/oauth2/token", "POST", auth="none", cost=0, kind="oauth")
def token(ctx: Ctx) -> Response:
    """Exchange a refresh token, a PIN or an authorization code for tokens."""
    client_id = _client(ctx, check_secret=True)
    grant = ctx.param("grant_type") or ""
    try:
        if grant == "refresh_token":
            issued = ctx.world.refresh(ctx.param("refresh_token") or "", client_id)
        elif grant in ("pin", "authorization_code"):
            secret = ctx.param("pin" if grant == "pin" else "code") or ""
            issued = ctx.world.use_grant(secret, client_id)
        else:
            raise ApiError(400, "Invalid grant_type parameter or parameter missing")
    except NotFound:
        message = {"refresh_token": "Invalid refresh token", "pin": "Invalid Pin"}.get(
            grant, "Invalid authorization code")
        raise ApiError(400, message) from None
    return json_response(token_body(ctx, issued))


@route("/oauth2/authorize", "GET", auth="none", cost=0, kind="oauth")
def authorize(ctx: Ctx) -> Response:
    """Approve at once as the main account and answer per ``response_type``."""
    if ctx.app.options.oauth_authorize == "broken":
        # What Imgur has answered for every response_type since 2025-07; the status is a
        # guess (reports quote only the page), so clients must read the body, not the code.
        return _page("Error (1024)", "Oops! We couldn't process your request. Error (1024)",
                     status=400)
    try:
        client_id = _client(ctx, check_secret=False)
    except ApiError as exc:
        return _page("Error", exc.message, status=400)
    response_type = ctx.param("response_type") or "token"
    state = ctx.param("state") or ""
    callback = ctx.base + CALLBACK_PATH
    if ctx.flag("deny"):
        return redirect(f"{callback}?{urlencode({'error': 'access_denied', 'state': state})}")
    user = ctx.world.main_user
    if response_type == "token":
        fragment = {k: v for k, v in token_body(ctx, ctx.world.issue_token(user, client_id)).items()
                    if k != "scope"}
        fragment["state"] = state
        return redirect(f"{callback}#{urlencode(fragment)}")
    if response_type == "code":
        code = ctx.world.new_grant(user, client_id)
        return redirect(f"{callback}?{urlencode({'state': state, 'code': code})}")
    if response_type == "pin":
        pin = ctx.world.new_grant(user, client_id, length=10)
        return _page("Authorization granted",
                     f'Enter this PIN in the application: <code id="pin">{pin}</code>')
    return _page("Error", "response_type must be token, code or pin", status=400)


@route(CALLBACK_PATH, "GET", auth="none", cost=0, kind="oauth")
def callback(ctx: Ctx) -> Response:
    """Where the authorize page sends the browser: tells the user what to copy."""
    return _page("imgur-sync sandbox", "Copy this page's full address (URL) and paste it into "
                 "<code>imgur-sync auth</code>.")


def _page(title: str, body_html: str, status: int = 200) -> Response:
    page = (f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{body_html}</p></body></html>")
    return Response(page, status=status, mimetype="text/html")
