"""The sandbox's 2026 roads over real HTTP: the /post/v1 web API with the browser cookie,
the broken OAuth page, the cookie token as Bearer, cookies.txt and the export zip."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from http.cookiejar import MozillaCookieJar
from pathlib import Path
from typing import Any

import pytest
import requests
from support import web_post_ids

from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions

POST_FIELDS = {"id": str, "title": str, "description": str, "account_id": int,
               "cover_id": str, "created_at": str, "image_count": int, "is_album": bool,
               "is_mature": bool, "privacy": str, "view_count": int, "upvote_count": int,
               "favorite": bool, "media": list}
MEDIA_FIELDS = {"id": str, "mime_type": str, "type": str, "name": str, "url": str, "ext": str,
                "width": int, "height": int, "size": int, "created_at": str, "updated_at": str,
                "metadata": dict}
METADATA_FIELDS = {"title": str, "description": str, "is_animated": bool, "is_looping": bool,
                   "duration": int, "has_sound": bool}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _web(sb: Sandbox, http: requests.Session, route: str, page: int | str = 1,
         cookie: str | None = None, **params: Any) -> requests.Response:
    query = {"client_id": sb.web_client_id, "include": "media,tags,account", "page": page,
             "sort": "-created_at", **params}
    return http.get(f"{sb.url}/post/v1/accounts/me/{route}", params=query,
                    cookies={"accesstoken": sb.cookie_token if cookie is None else cookie})


def _items(body: Any) -> list[dict[str, Any]]:
    return body["data"] if isinstance(body, dict) else body


def _read_all(sb: Sandbox, http: requests.Session, route: str) -> list[list[dict[str, Any]]]:
    """Every page from 1 up to and including the first empty one."""
    pages: list[list[dict[str, Any]]] = []
    for page in range(1, 100):
        r = _web(sb, http, route, page)
        assert r.status_code == 200, r.text
        pages.append(_items(r.json()))
        if not pages[-1]:
            return pages
    raise AssertionError("the listing never ran out")


@pytest.fixture
def paged(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The demo account with two posts a page, so listings run over several pages."""
    return start_sandbox("demo", options=SandboxOptions(web_page_size=2))


def test_all_posts_pages_from_one_to_an_empty_page(paged: Sandbox,
                                                   http: requests.Session) -> None:
    r = _web(paged, http, "all_posts", 1)
    assert isinstance(r.json(), list)  # all_posts answers a bare list
    pages = _read_all(paged, http, "all_posts")
    assert pages[-1] == [] and all(len(p) == 2 for p in pages[:-2])
    ids = [post["id"] for page in pages for post in page]
    assert ids == web_post_ids(paged) and len(ids) > 4
    created = [post["created_at"] for page in pages for post in page]
    assert created == sorted(created, reverse=True)
    assert _web(paged, http, "all_posts", 0).status_code == 400  # pages start at 1


def test_hidden_albums_are_wrapped_and_reachable_only_by_cookie(
        demo: Sandbox, http: requests.Session) -> None:
    hidden = [a.id for a in demo.world.albums_of(demo.username) if a.privacy != "public"]
    assert hidden
    body = _web(demo, http, "hidden_albums").json()
    assert isinstance(body, dict) and [p["id"] for p in body["data"]] == hidden
    assert all(p["is_album"] and p["privacy"] != "public" for p in body["data"])
    assert set(hidden) <= {p["id"] for p in _items(_web(demo, http, "all_posts").json())}
    public = http.get(f"{demo.url}/3/account/{demo.username}/albums/0",
                      headers={"Authorization": f"Client-ID {demo.client_id}"})
    assert public.status_code == 200 and public.json()["data"]
    assert not set(hidden) & {a["id"] for a in public.json()["data"]}


def test_flipped_bodies_swap_bare_list_and_data(start_sandbox: Callable[..., Sandbox],
                                                http: requests.Session) -> None:
    sb = start_sandbox("demo", options=SandboxOptions(web_flip_bodies=True))
    assert isinstance(_web(sb, http, "all_posts").json(), dict)
    assert isinstance(_web(sb, http, "hidden_albums").json(), list)


def _check_fields(value: dict[str, Any], fields: dict[str, type]) -> None:
    for name, kind in fields.items():
        assert isinstance(value[name], kind), (name, value[name])
        assert kind is not int or not isinstance(value[name], bool), name


def test_post_and_media_fields_and_types(demo: Sandbox, http: requests.Session) -> None:
    posts = _items(_web(demo, http, "all_posts").json())
    assert {p["is_album"] for p in posts} == {True, False}
    for post in posts:
        _check_fields(post, POST_FIELDS)
        assert ISO.match(post["created_at"])
        assert post["image_count"] == len(post["media"]) >= 1
        if not post["is_album"]:
            assert post["media"][0]["id"] == post["id"] == post["cover_id"]
        for media in post["media"]:
            _check_fields(media, MEDIA_FIELDS)
            _check_fields(media["metadata"], METADATA_FIELDS)
            image = demo.world.images[media["id"]]
            assert media["url"].endswith(f"/{image.id}.{image.ext}")
            assert media["size"] == len(http.get(media["url"]).content)
            assert media["metadata"]["title"] == (image.title or "")
            assert media["metadata"]["description"] == (image.description or "")


def test_single_album_and_media_with_client_id(demo: Sandbox, http: requests.Session) -> None:
    hidden = next(a for a in demo.world.albums_of(demo.username) if a.privacy != "public")
    client = {"Authorization": f"Client-ID {demo.client_id}"}
    query = {"include": "media,tags,account"}
    r = http.get(f"{demo.url}/post/v1/albums/{hidden.id}", headers=client, params=query)
    assert r.status_code == 200
    assert r.json()["id"] == hidden.id and r.json()["is_album"] is True
    assert [m["id"] for m in r.json()["media"]] == hidden.image_ids
    image_id = hidden.image_ids[0]
    r = http.get(f"{demo.url}/post/v1/media/{image_id}", headers=client, params=query)
    assert r.status_code == 200 and r.json()["media"][0]["id"] == image_id
    assert http.get(f"{demo.url}/post/v1/media/{image_id}").status_code == 401
    assert http.get(f"{demo.url}/post/v1/media/nosuch1", headers=client).status_code == 404


def test_bad_or_signed_out_cookie_is_refused(demo: Sandbox, http: requests.Session) -> None:
    r = _web(demo, http, "all_posts", cookie="0" * 40)
    assert r.status_code == 401 and "accesstoken" in r.json()["errors"][0]["detail"]
    assert _web(demo, http, "all_posts", client_id="wrong").status_code == 403
    old = demo.cookie_token
    assert http.post(f"{demo.url}/__sandbox__/mutate/expire_cookies", json={}).json()["data"] == 1
    assert _web(demo, http, "all_posts", cookie=old).status_code == 401
    assert demo.cookie_token != old  # a fresh browser sign-in works again
    assert _web(demo, http, "all_posts").status_code == 200


def test_throttling_says_capacity(start_sandbox: Callable[..., Sandbox],
                                  http: requests.Session) -> None:
    for kind, status in (("rate_limit", 429), ("over_capacity", 403)):
        sb = start_sandbox("demo", faults=FaultPlan({kind: 1.0}))
        r = _web(sb, http, "all_posts")
        assert r.status_code == status and "capacity" in r.text


def test_broken_oauth_authorize_shows_error_1024(start_sandbox: Callable[..., Sandbox],
                                                 http: requests.Session) -> None:
    sb = start_sandbox("demo", options=SandboxOptions(oauth_authorize="broken"))
    for response_type in ("token", "code", "pin"):
        r = http.get(f"{sb.url}/oauth2/authorize", allow_redirects=False,
                     params={"client_id": sb.client_id, "response_type": response_type})
        assert r.status_code == 400 and "Error (1024)" in r.text
        assert r.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("mode", "status"), [("refuse", 403), ("accept", 200)])
def test_cookie_token_as_bearer_on_v3(start_sandbox: Callable[..., Sandbox],
                                      http: requests.Session, mode: str, status: int) -> None:
    sb = start_sandbox("demo", options=SandboxOptions(cookie_bearer=mode))
    r = http.get(f"{sb.url}/3/account/me/favorites/0",
                 headers={"Authorization": f"Bearer {sb.cookie_token}"})
    assert r.status_code == status
    if mode == "accept":
        assert isinstance(r.json()["data"], list)


def test_unknown_option_values_are_refused() -> None:
    with pytest.raises(ValueError, match="cookie_bearer"):
        SandboxOptions(cookie_bearer="maybe")
    with pytest.raises(ValueError, match="oauth_authorize"):
        SandboxOptions(oauth_authorize="sometimes")


def _cookie(path: Path) -> str:
    jar = MozillaCookieJar(str(path))
    jar.load()
    (cookie,) = [c for c in jar if c.name == "accesstoken"]
    assert cookie.domain == ".imgur.com" and cookie.secure
    return str(cookie.value)


def test_write_cookies_makes_a_cookies_txt(demo: Sandbox, tmp_path: Path,
                                           http: requests.Session) -> None:
    path = demo.write_cookies(tmp_path / "cookies.txt")
    assert _cookie(path) == demo.cookie_token
    assert path.stat().st_mode & 0o777 == 0o600
    assert _web(demo, http, "all_posts", cookie=_cookie(path)).status_code == 200


def test_cli_write_cookies_and_2026_modes(tmp_path: Path, http: requests.Session) -> None:
    path = tmp_path / "cookies.txt"
    command = [sys.executable, "-m", "imgur_sync", "sandbox", "--port", "0",
               "--write-cookies", str(path), "--oauth-authorize", "broken",
               "--cookie-bearer", "accept"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, env=os.environ.copy()) as proc:
        try:
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:  # bounded by the test timeout; the banner comes at once
                lines.append(line)
                if line.startswith("Account:"):
                    break
            url = re.search(r"listening on (\S+)", "".join(lines))
            assert url is not None, lines
            page = http.get(f"{url[1]}/oauth2/authorize", params={"response_type": "pin"})
            assert "Error (1024)" in page.text
            me = http.get(f"{url[1]}/3/account/me",
                          headers={"Authorization": f"Bearer {_cookie(path)}"})
            assert me.status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert any("written to" in line for line in lines), lines
    assert re.fullmatch(r"[0-9a-f]{40}", _cookie(path))
    assert _cookie(path) not in "".join(lines)  # the secret stays out of the output


def test_export_zip_names_and_bytes(demo: Sandbox, tmp_path: Path,
                                    http: requests.Session) -> None:
    demo.world.remove_media(demo.world.images_of(demo.username)[0].id)
    owned = [i for i in reversed(demo.world.images_of(demo.username)) if not i.removed]
    expected = {f"{n} - {i.id}.{i.ext}": i for n, i in enumerate(owned, start=1)}
    over_http = http.get(f"{demo.url}/__sandbox__/export.zip")
    assert over_http.status_code == 200
    path = demo.export_zip(tmp_path / "export.zip")
    for source in (path, io.BytesIO(over_http.content)):
        with zipfile.ZipFile(source) as archive:
            assert sorted(archive.namelist()) == sorted(expected)
            for name, image in expected.items():
                assert archive.read(name) == http.get(f"{demo.url}/{image.id}.{image.ext}").content
