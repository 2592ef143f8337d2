"""The sandbox's pipeline over real HTTP: auth rules, OAuth, rate limits, ETags, faults, media."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from support import FakeClock

from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions, parse_fault_spec


def bearer(sb: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sb.access_token()}"}


def client(sb: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Client-ID {sb.client_id}"}


# -- envelopes and authentication -----------------------------------------------------------


def test_success_envelope_and_rate_limit_headers(demo: Sandbox, http: requests.Session) -> None:
    r = http.get(f"{demo.url}/3/account/{demo.username}", headers=client(demo))
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["status"] == 200
    assert body["data"]["url"] == demo.username
    for name in ("UserLimit", "UserRemaining", "UserReset", "ClientLimit", "ClientRemaining"):
        assert r.headers[f"X-RateLimit-{name}"].isdigit()
    assert "X-Post-Rate-Limit-Remaining" not in r.headers  # POST headers only on POSTs


def test_missing_authorization_is_401(demo: Sandbox, http: requests.Session) -> None:
    r = http.get(f"{demo.url}/3/credits")
    assert r.status_code == 401
    assert r.json() == {"data": {"error": "Authentication required", "request": "/3/credits",
                                 "method": "GET"}, "success": False, "status": 401}


def test_unknown_token_is_403_invalid(demo: Sandbox, http: requests.Session) -> None:
    r = http.get(f"{demo.url}/3/account/me", headers={"Authorization": "Bearer " + "0" * 40})
    assert r.status_code == 403
    assert r.json()["data"]["error"] == "The access token provided is invalid."


def test_me_needs_a_bearer_token(demo: Sandbox, http: requests.Session) -> None:
    r = http.get(f"{demo.url}/3/account/me", headers=client(demo))
    assert r.status_code == 403
    assert r.json()["data"]["error"] == "This method requires authentication"
    r = http.get(f"{demo.url}/3/account/me", headers=bearer(demo))
    assert r.status_code == 200 and r.json()["data"]["url"] == demo.username


def test_expired_token_is_403_and_refresh_gives_a_working_one(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(token_lifetime=60))
    headers = bearer(sb)
    assert http.get(f"{sb.url}/3/account/me", headers=headers).status_code == 200
    clock.now += 61
    r = http.get(f"{sb.url}/3/account/me", headers=headers)
    assert r.status_code == 403
    assert r.json()["data"]["error"] == "The access token provided is invalid."
    token = http.post(f"{sb.url}/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": sb.refresh_token,
        "client_id": sb.client_id, "client_secret": sb.client_secret}).json()
    assert token["expires_in"] == 60
    r = http.get(f"{sb.url}/3/account/me",
                 headers={"Authorization": f"Bearer {token['access_token']}"})
    assert r.status_code == 200


# -- OAuth ------------------------------------------------------------------------------------


def test_token_endpoint_answers_a_bare_token_object(demo: Sandbox, http: requests.Session) -> None:
    r = http.post(f"{demo.url}/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": demo.refresh_token,
        "client_id": demo.client_id, "client_secret": demo.client_secret})
    assert r.status_code == 200
    body = r.json()
    assert "data" not in body
    assert set(body) >= {"access_token", "expires_in", "token_type", "refresh_token",
                         "account_username", "account_id"}
    assert len(body["access_token"]) == 40 and body["refresh_token"] == demo.refresh_token
    assert body["account_username"] == demo.username
    assert "X-RateLimit-ClientRemaining" not in r.headers  # OAuth calls are free


def test_bad_refresh_token_is_400(demo: Sandbox, http: requests.Session) -> None:
    r = http.post(f"{demo.url}/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": "f" * 40,
        "client_id": demo.client_id, "client_secret": demo.client_secret})
    assert r.status_code == 400
    assert r.json()["data"]["error"] == "Invalid refresh token"


def test_wrong_client_secret_is_refused(demo: Sandbox, http: requests.Session) -> None:
    r = http.post(f"{demo.url}/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": demo.refresh_token,
        "client_id": demo.client_id, "client_secret": "nope"})
    assert r.status_code == 401


def _authorize(sb: Sandbox, http: requests.Session, response_type: str,
               **extra: str) -> requests.Response:
    params = {"client_id": sb.client_id, "response_type": response_type, "state": "xyz", **extra}
    return http.get(f"{sb.url}/oauth2/authorize", params=params, allow_redirects=False)


def test_authorize_token_flow_redirects_with_a_fragment(demo: Sandbox,
                                                        http: requests.Session) -> None:
    r = _authorize(demo, http, "token")
    assert r.status_code == 302
    fragment = parse_qs(urlsplit(r.headers["Location"]).fragment)
    assert fragment["state"] == ["xyz"] and fragment["token_type"] == ["bearer"]
    assert fragment["account_username"] == [demo.username]
    me = http.get(f"{demo.url}/3/account/me",
                  headers={"Authorization": f"Bearer {fragment['access_token'][0]}"})
    assert me.status_code == 200


def test_authorize_code_flow_and_code_is_single_use(demo: Sandbox,
                                                    http: requests.Session) -> None:
    r = _authorize(demo, http, "code")
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["state"] == ["xyz"]
    form = {"grant_type": "authorization_code", "code": query["code"][0],
            "client_id": demo.client_id, "client_secret": demo.client_secret}
    first = http.post(f"{demo.url}/oauth2/token", data=form)
    assert first.status_code == 200 and first.json()["account_username"] == demo.username
    assert http.post(f"{demo.url}/oauth2/token", data=form).status_code == 400


def test_authorize_pin_flow_shows_a_pin(demo: Sandbox, http: requests.Session) -> None:
    r = _authorize(demo, http, "pin")
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
    pin = r.text.split('id="pin">')[1].split("<")[0]
    token = http.post(f"{demo.url}/oauth2/token", data={
        "grant_type": "pin", "pin": pin, "client_id": demo.client_id,
        "client_secret": demo.client_secret})
    assert token.status_code == 200 and len(token.json()["access_token"]) == 40


def test_authorize_denied_redirects_with_access_denied(demo: Sandbox,
                                                       http: requests.Session) -> None:
    r = _authorize(demo, http, "token", deny="1")
    assert parse_qs(urlsplit(r.headers["Location"]).query)["error"] == ["access_denied"]


# -- rate limits, pagination ends, ETags ----------------------------------------------------------


def test_rate_limit_headers_count_down(demo: Sandbox, http: requests.Session) -> None:
    url, headers = f"{demo.url}/3/account/{demo.username}", client(demo)
    first = http.get(url, headers=headers).headers
    second = http.get(url, headers=headers).headers
    assert int(second["X-RateLimit-ClientRemaining"]) == int(
        first["X-RateLimit-ClientRemaining"]) - 1
    assert int(second["X-RateLimit-UserRemaining"]) == int(first["X-RateLimit-UserRemaining"]) - 1
    assert int(first["X-RateLimit-UserReset"]) > 1_000_000_000  # an epoch
    assert 86300 < int(first["X-RateLimit-ClientReset"]) <= 86400  # seconds, as Imgur sends


def test_uploads_cost_ten_and_posts_carry_post_headers(demo: Sandbox,
                                                       http: requests.Session) -> None:
    headers = bearer(demo)
    before = http.get(f"{demo.url}/3/account/me", headers=headers).headers
    r = http.post(f"{demo.url}/3/image", headers=headers,
                  files={"image": ("a.png", _png(demo))})
    assert r.status_code == 200, r.text
    after = r.headers
    assert int(after["X-RateLimit-ClientRemaining"]) == int(
        before["X-RateLimit-ClientRemaining"]) - 10
    assert int(after["X-Post-Rate-Limit-Limit"]) == 1250
    assert int(after["X-Post-Rate-Limit-Remaining"]) == 1249
    assert 0 < int(after["X-Post-Rate-Limit-Reset"]) <= 3600  # seconds, not an epoch


def _png(sb: Sandbox) -> bytes:
    image = sb.world.images_of(sb.username)[0]
    return requests.get(f"{sb.url}/{image.id}.{image.ext}").content


def test_enforced_budget_answers_429_until_reset(start_sandbox: Callable[..., Sandbox],
                                                 http: requests.Session) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(
        anon_user_limit=3, user_window=100, enforce_rate_limits=True))
    url, headers = f"{sb.url}/3/account/{sb.username}", client(sb)
    codes = [http.get(url, headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = http.get(url, headers=headers)
    assert "errors" in refused.json() and "Retry-After" in refused.headers
    clock.now += 101
    assert http.get(url, headers=headers).status_code == 200


def test_enforced_post_budget(start_sandbox: Callable[..., Sandbox],
                              http: requests.Session) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(
        post_limit=2, post_window=50, enforce_post_limit=True))
    headers = bearer(sb)
    image_id = sb.world.images_of(sb.username)[0].id
    url = f"{sb.url}/3/image/{image_id}"
    codes = [http.post(url, headers=headers, data={"title": f"t{i}"}).status_code
             for i in range(3)]
    assert codes == [200, 200, 429]
    clock.now += 51
    assert http.post(url, headers=headers, data={"title": "later"}).status_code == 200


def test_pages_are_zero_based_and_end_with_an_empty_list(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb = start_sandbox("big", options=SandboxOptions(page_size=300))
    headers = bearer(sb)
    seen: list[str] = []
    page = 0
    while True:
        data = http.get(f"{sb.url}/3/account/me/images/{page}", headers=headers).json()["data"]
        if not data:
            break
        assert len(data) <= 300
        seen += [item["id"] for item in data]
        page += 1
    assert page == 4 and len(seen) == len(set(seen)) == 1000
    datetimes = [sb.world.images[i].datetime for i in seen]
    assert datetimes == sorted(datetimes, reverse=True)  # newest first
    per_page = http.get(f"{sb.url}/3/account/me/images/0?perPage=7", headers=headers)
    assert len(per_page.json()["data"]) == 7


def test_favorites_pages_hold_sixty(start_sandbox: Callable[..., Sandbox],
                                    http: requests.Session) -> None:
    sb = start_sandbox("big")
    data = http.get(f"{sb.url}/3/account/me/favorites/0/newest", headers=bearer(sb)).json()
    assert len(data["data"]) == 60


def test_etag_answers_304_and_still_costs_credit(demo: Sandbox, http: requests.Session) -> None:
    url, headers = f"{demo.url}/3/account/me/albums/0", bearer(demo)
    first = http.get(url, headers=headers)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = http.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["X-RateLimit-UserRemaining"]) < int(
        first.headers["X-RateLimit-UserRemaining"])
    demo.world.retitle_album(demo.world.albums_of(demo.username)[0].id, "Changed")
    assert http.get(url, headers={**headers, "If-None-Match": etag}).status_code == 200


def test_legacy_routes_can_be_switched_off(start_sandbox: Callable[..., Sandbox],
                                           http: requests.Session) -> None:
    on = start_sandbox("demo")
    off = start_sandbox("demo", options=SandboxOptions(legacy_routes=False))
    assert http.get(f"{on.url}/3/conversations", headers=bearer(on)).status_code == 200
    r = http.get(f"{off.url}/3/conversations", headers=bearer(off))
    assert r.status_code == 404 and r.json()["success"] is False


# -- faults: one per kind, with its exact wire shape ---------------------------------------------


def _faulty(start: Callable[..., Sandbox], kind: str, **kwargs: object) -> Sandbox:
    return start("demo", faults=FaultPlan({kind: 1.0}, retry_after=0, **kwargs))


def test_fault_server_error_has_an_object_error(start_sandbox: Callable[..., Sandbox],
                                               http: requests.Session) -> None:
    sb = _faulty(start_sandbox, "server_error")
    r = http.get(f"{sb.url}/3/account/{sb.username}", headers=client(sb))
    assert r.status_code == 500
    body = r.json()
    assert body["data"]["error"]["message"] == "Could not complete request"
    assert body["data"]["error"]["type"] == "ImgurException" and body["status"] == 500


def test_fault_rate_limit_is_jsonapi_errors_with_retry_after(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb = _faulty(start_sandbox, "rate_limit")
    r = http.get(f"{sb.url}/3/account/{sb.username}", headers=client(sb))
    assert r.status_code == 429 and r.headers["Retry-After"] == "0"
    body = r.json()
    assert set(body) == {"errors"} and body["errors"][0]["code"] == "429"


def test_fault_rate_limit_sometimes_says_the_client_credits_are_spent(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb = _faulty(start_sandbox, "rate_limit", seed=4)
    url = f"{sb.url}/3/account/{sb.username}"
    spent = [http.get(url, headers=client(sb)).headers for _ in range(20)]
    zero = [h for h in spent if h["X-RateLimit-ClientRemaining"] == "0"]
    assert 0 < len(zero) < 20 and {h["X-RateLimit-ClientReset"] for h in zero} == {"1"}
    again = _faulty(start_sandbox, "rate_limit", seed=4)  # the same seed: the same ones
    pattern = [http.get(f"{again.url}/3/account/{again.username}", headers=client(again))
               .headers["X-RateLimit-ClientRemaining"] == "0" for _ in range(20)]
    assert pattern == [h["X-RateLimit-ClientRemaining"] == "0" for h in spent]
    # Tests in other processes choose every one, with a reset of their own.
    plan = {"rates": {"rate_limit": 1.0}, "client_exhausted": 1.0, "client_reset": 2}
    assert http.post(f"{sb.url}/__sandbox__/faults", json=plan).status_code == 200
    r = http.get(url, headers=client(sb))
    assert r.status_code == 429 and "errors" in r.json()
    assert (r.headers["X-RateLimit-ClientRemaining"], r.headers["X-RateLimit-ClientReset"]) == (
        "0", "2")
    plan["client_exhausted"] = 2
    assert http.post(f"{sb.url}/__sandbox__/faults", json=plan).status_code == 400


def test_fault_over_capacity_is_403_without_request_keys(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb = _faulty(start_sandbox, "over_capacity")
    r = http.get(f"{sb.url}/3/account/{sb.username}", headers=client(sb))
    assert r.status_code == 403
    assert r.json()["data"] == {
        "error": "Imgur is temporarily over capacity. Please try again later."}


def test_fault_malformed_json_is_cut_short_after_the_work(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb = _faulty(start_sandbox, "malformed_json")
    image_id = sb.world.images_of(sb.username)[0].id
    r = http.post(f"{sb.url}/3/image/{image_id}", headers=bearer(sb), data={"title": "done"})
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    assert sb.world.images[image_id].title == "done"  # the server did the work


def test_fault_html_503(start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb = _faulty(start_sandbox, "html_503")
    r = http.get(f"{sb.url}/3/account/{sb.username}", headers=client(sb))
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Retry-After"] == "0" and "503" in r.text


def test_fault_truncated_media_stops_before_content_length(
        start_sandbox: Callable[..., Sandbox]) -> None:
    sb = _faulty(start_sandbox, "truncated_media")
    image = sb.world.images_of(sb.username)[0]
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{sb.url}/{image.id}.{image.ext}").content  # noqa: B018


def test_fault_library_agent_refuses_library_user_agents_only(
        start_sandbox: Callable[..., Sandbox]) -> None:
    sb = _faulty(start_sandbox, "library_agent")
    image = sb.world.images_of(sb.username)[0]
    link = f"{sb.url}/{image.id}.{image.ext}"
    refused = requests.get(link)  # requests' own "python-requests/x.y" agent
    assert refused.status_code == 429 and refused.headers["Content-Type"].startswith("text/html")
    assert "Retry-After" not in refused.headers
    browser = requests.get(link, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    assert browser.status_code == 200 and browser.content[:4] == b"\x89PNG"
    assert sb.counters.faults["library_agent"] == 1
    assert sb.counters.media_by_image[image.id] == 1  # a refusal is not a download


def test_the_sandbox_help_names_every_fault_kind() -> None:
    # The CLI keeps the list in its help text rather than importing the sandbox to start.
    from click.testing import CliRunner

    from imgur_sync.cli import cli
    from imgur_sync.sandbox.faults import KINDS

    shown = " ".join(CliRunner().invoke(cli, ["sandbox", "--help"]).output.split())
    assert [kind for kind in KINDS if kind not in shown] == []


def test_fault_slow_waits_through_the_injected_sleep(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    slept: list[float] = []
    sb = start_sandbox("demo", faults=FaultPlan({"slow": 1.0}, slow_seconds=7.5),
                       sleep=slept.append)
    assert http.get(f"{sb.url}/3/account/{sb.username}", headers=client(sb)).status_code == 200
    assert slept == [7.5]


def test_fault_token_expiry_expires_the_callers_token(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb = _faulty(start_sandbox, "token_expiry")
    r = http.get(f"{sb.url}/3/account/me", headers=bearer(sb))
    assert r.status_code == 403
    assert r.json()["data"]["error"] == "The access token provided is invalid."


def test_faults_are_deterministic_from_the_seed() -> None:
    a = FaultPlan({"server_error": 0.3}, seed=5)
    b = FaultPlan({"server_error": 0.3}, seed=5)
    c = FaultPlan({"server_error": 0.3}, seed=6)
    hits = [a.strikes("server_error", n) for n in range(1000)]
    assert hits == [b.strikes("server_error", n) for n in range(1000)]
    assert hits != [c.strikes("server_error", n) for n in range(1000)]
    assert 240 < sum(hits) < 360


def test_fault_spec_parsing() -> None:
    assert parse_fault_spec("all=0.1")["truncated_media"] == 0.1
    assert parse_fault_spec("slow=0.5, server_error=0.2") == {"slow": 0.5, "server_error": 0.2}
    for bad in ("bogus=0.1", "slow", "slow=2", "slow=x"):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)


# -- media ---------------------------------------------------------------------------------------


def test_links_point_at_the_sandbox_and_serve_media(demo: Sandbox,
                                                   http: requests.Session) -> None:
    image = demo.world.images_of(demo.username)[0]
    data = http.get(f"{demo.url}/3/image/{image.id}", headers=client(demo)).json()["data"]
    assert data["link"] == f"{demo.url}/{image.id}.{image.ext}"
    r = http.get(data["link"])
    assert r.status_code == 200 and len(r.content) == data["size"]
    assert r.headers["Content-Type"] == data["type"]
    thumb = http.get(f"{demo.url}/{image.id}s.{image.ext}")
    assert thumb.status_code == 200 and thumb.content != r.content
    counters = demo.counters.snapshot()
    assert counters["media_by_image"][image.id] == 2


def test_animated_items_have_mp4_links(demo: Sandbox, http: requests.Session) -> None:
    gif = next(i for i in demo.world.images_of(demo.username) if i.animated)
    data = http.get(f"{demo.url}/3/image/{gif.id}", headers=client(demo)).json()["data"]
    assert data["mp4"].endswith(f"/{gif.id}.mp4") and data["animated"] is True
    mp4 = http.get(data["mp4"])
    assert mp4.headers["Content-Type"] == "video/mp4" and mp4.content[4:8] == b"ftyp"


def test_removed_media_redirects_to_removed_png(demo: Sandbox, http: requests.Session) -> None:
    image = demo.world.images_of(demo.username)[0]
    demo.world.remove_media(image.id)
    r = http.get(f"{demo.url}/{image.id}.{image.ext}", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/removed.png")
    final = http.get(f"{demo.url}/{image.id}.{image.ext}")
    assert final.url.endswith("/removed.png") and final.content[:8] == b"\x89PNG\r\n\x1a\n"


# -- control API -------------------------------------------------------------------------------


def test_control_api_over_http(demo: Sandbox, http: requests.Session) -> None:
    base = f"{demo.url}/__sandbox__"
    album = demo.world.albums_of(demo.username)[0]
    r = http.post(f"{base}/mutate/add_image", json={"owner": demo.username, "title": "via http",
                                                    "album": album.id})
    new_id = r.json()["data"]["id"]
    assert demo.world.images[new_id].title == "via http"
    assert new_id in demo.world.albums[album.id].image_ids
    assert http.post(f"{base}/mutate/retitle_image",
                     json={"image_id": new_id, "title": "renamed"}).status_code == 200
    state = http.get(f"{base}/state").json()["data"]
    assert any(i["id"] == new_id and i["title"] == "renamed" for i in state["images"])
    assert http.post(f"{base}/mutate/os_system", json={}).status_code == 400
    http.post(f"{base}/faults", json={"rates": {"server_error": 1.0}})
    assert http.get(f"{demo.url}/3/image/{new_id}", headers=client(demo)).status_code == 500
    counters = http.get(f"{base}/counters").json()["data"]
    assert counters["faults"]["server_error"] == 1
    assert counters["requests"] == 1  # control calls are not counted


# -- seeds -------------------------------------------------------------------------------------


def test_seeds_are_deterministic() -> None:
    a, b = Sandbox("demo", seed=3), Sandbox("demo", seed=3)
    c = Sandbox("demo", seed=4)
    assert sorted(a.world.images) == sorted(b.world.images)
    assert a.refresh_token == b.refresh_token and a.client_id == b.client_id
    assert sorted(a.world.images) != sorted(c.world.images)


def test_big_scale_has_the_promised_shape() -> None:
    sb = Sandbox("big", scale=2)
    assert len(sb.world.images_of(sb.username)) == 2000
    assert len(sb.world.albums_of(sb.username)) == 80
    assert 280 <= len(sb.world.account(sb.username).favorites) <= 320
    longest = max(len(c.messages) for c in sb.world.conversations_of(sb.username))
    assert longest > 25  # more than one legacy page


def test_a_seeded_second_account_signs_in_to_the_same_application(
        demo: Sandbox, http: requests.Session) -> None:
    added = http.post(f"{demo.url}/__sandbox__/accounts", json={
        "username": "Second", "client_id": demo.client_id, "scale": 1})
    assert added.status_code == 200, added.text
    refresh = added.json()["data"]["refresh_token"]
    token = http.post(f"{demo.url}/oauth2/token", data={
        "refresh_token": refresh, "client_id": demo.client_id,
        "client_secret": demo.client_secret, "grant_type": "refresh_token"}).json()
    assert token["account_username"] == "Second"
    count = http.get(f"{demo.url}/3/account/me/images/count",
                     headers={"Authorization": f"Bearer {token['access_token']}"})
    assert count.json()["data"] == 1000
    albums = http.get(f"{demo.url}/3/account/me/albums/count",
                      headers={"Authorization": f"Bearer {token['access_token']}"})
    assert albums.json()["data"] == 40


@pytest.mark.parametrize("body", [
    {"username": "Second", "client_id": "nobody's"},
    {"username": "Second", "client_id": None, "scale": 1},
    {"client_id": "x"},
    {"username": "Second", "client_id": "OURS", "scale": 0},
    {"username": "Second", "client_id": "OURS", "scale": "1"},
])
def test_a_seeded_account_needs_a_name_a_known_client_and_a_scale(
        demo: Sandbox, http: requests.Session, body: dict[str, object]) -> None:
    if body.get("client_id") == "OURS":
        body = {**body, "client_id": demo.client_id}
    answer = http.post(f"{demo.url}/__sandbox__/accounts", json=body)
    assert answer.status_code == 400
    assert "Second" not in {a.url for a in demo.world.accounts.values()}


def test_a_seeded_account_cannot_take_an_existing_name(demo: Sandbox,
                                                       http: requests.Session) -> None:
    answer = http.post(f"{demo.url}/__sandbox__/accounts", json={
        "username": demo.username.upper(), "client_id": demo.client_id})
    assert answer.status_code == 400 and "exists already" in answer.text
