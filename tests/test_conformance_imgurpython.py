"""imgurpython 1.1.7 from PyPI, unchanged but for ``API_URL``, against the sandbox."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import imgurpython.client
import pytest
import requests
from imgurpython import ImgurClient
from imgurpython.helpers.error import ImgurClientError

from imgur_sync.sandbox import Sandbox, SandboxOptions


@pytest.fixture
def sb(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox("demo", options=SandboxOptions(page_size=5, favorites_page_size=2))


@pytest.fixture
def client(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImgurClient]:
    # imgurpython reads the module global on every call; the trailing slash is its format.
    monkeypatch.setattr(imgurpython.client, "API_URL", sb.url + "/")
    yield ImgurClient(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token)


def _all_pages(fetch: Callable[[int], list]) -> list:
    items, page = [], 0
    while batch := fetch(page):
        items += batch
        page += 1
    return items


def test_first_bearer_call_refreshes_after_the_403(sb: Sandbox, client: ImgurClient) -> None:
    # imgurpython starts with no access token (its constructor's credits call is anonymous);
    # the first authenticated call sends "Bearer None", gets the 403, refreshes and retries.
    assert client.auth.get_current_access_token() is None
    assert client.get_account("me").url == sb.username
    assert client.auth.get_current_access_token() is not None
    assert sb.world.token_for(client.auth.get_current_access_token()) is not None
    assert int(client.credits["ClientRemaining"]) < 12500


def test_fetch_an_image(sb: Sandbox, client: ImgurClient) -> None:
    expected = sb.world.images_of(sb.username)[0]
    image = client.get_image(expected.id)
    assert image.title == expected.title and image.size == expected.size
    assert requests.get(image.link).content[:8] == b"\x89PNG\r\n\x1a\n"


def test_fetch_an_album_with_its_images(sb: Sandbox, client: ImgurClient) -> None:
    expected = sb.world.albums_of(sb.username)[0]
    album = client.get_album(expected.id)
    assert album.title == expected.title and album.images_count == len(expected.image_ids)
    assert [i["id"] for i in album.images] == expected.image_ids
    assert [i.id for i in client.get_album_images(expected.id)] == expected.image_ids


def test_account_images_and_albums_across_pages(sb: Sandbox, client: ImgurClient) -> None:
    images = _all_pages(lambda p: client.get_account_images("me", page=p))
    assert [i.id for i in images] == [i.id for i in sb.world.images_of(sb.username)]
    assert client.get_account_images_count("me") == len(images)
    albums = _all_pages(lambda p: client.get_account_albums("me", page=p))
    assert [a.id for a in albums] == [a.id for a in sb.world.albums_of(sb.username)]
    ids = _all_pages(lambda p: client.get_account_album_ids("me", page=p))
    assert ids == [a.id for a in albums]


def test_favorites_and_gallery_favorites(sb: Sandbox, client: ImgurClient) -> None:
    favorites = _all_pages(lambda p: client.get_account_favorites("me", page=p))
    assert [f.id for f in favorites] == [i.id for i in sb.world.favorites_of(sb.username)]
    gallery = _all_pages(lambda p: client.get_gallery_favorites(sb.username, page=p))
    expected = [i.id for i in sb.world.favorites_of(sb.username, gallery_only=True)]
    assert [g.id for g in gallery] == expected


def test_create_album_upload_into_it_add_and_remove(sb: Sandbox, client: ImgurClient) -> None:
    mine = [i.id for i in sb.world.images_of(sb.username)]
    created = client.create_album({"title": "Made by imgurpython", "ids": mine[:2]})
    album_id = created["id"]
    assert len(created["deletehash"]) == 15
    assert sb.world.albums[album_id].title == "Made by imgurpython"
    assert sb.world.albums[album_id].image_ids == mine[:2]

    png = requests.get(f"{sb.url}/{mine[6]}.png").content
    uploaded = client.make_request("POST", "upload", {
        "image": base64.b64encode(png), "type": "base64", "album": album_id,
        "title": "Uploaded with imgurpython"})
    assert sb.world.images[uploaded["id"]].owner == sb.username
    assert sb.world.albums[album_id].image_ids == [*mine[:2], uploaded["id"]]

    assert client.album_add_images(album_id, [mine[3], mine[4]]) is True
    assert sb.world.albums[album_id].image_ids == [*mine[:2], uploaded["id"], mine[3], mine[4]]
    assert client.album_remove_images(album_id, [mine[0], mine[3]]) is True
    assert sb.world.albums[album_id].image_ids == [mine[1], uploaded["id"], mine[4]]
    assert client.album_set_images(album_id, [mine[7]]) is True
    assert sb.world.albums[album_id].image_ids == [mine[7]]


def test_anonymous_upload_from_url_and_delete_by_deletehash(sb: Sandbox,
                                                           client: ImgurClient) -> None:
    source = sb.world.images_of(sb.username)[0]
    uploaded = client.upload_from_url(f"{sb.url}/{source.id}.png", anon=True)
    assert sb.world.images[uploaded["id"]].owner is None
    assert requests.get(uploaded["link"]).content == requests.get(
        f"{sb.url}/{source.id}.png").content
    assert client.make_request("DELETE", f"image/{uploaded['deletehash']}", force_anon=True)
    assert sb.world.images[uploaded["id"]].deleted


def test_refresh_a_token_and_errors_surface(sb: Sandbox, client: ImgurClient) -> None:
    old = client.auth.get_current_access_token()
    sb.world.expire_tokens()
    assert client.get_account("me").url == sb.username  # 403, refresh, retry
    assert client.auth.get_current_access_token() != old
    with pytest.raises(ImgurClientError) as missing:
        client.get_image("zzzzzzz")
    assert missing.value.status_code == 404
