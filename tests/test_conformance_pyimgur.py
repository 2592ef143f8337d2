"""PyImgur 0.8.1 from PyPI, unchanged but for ``base_url``, against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyimgur
import pytest
import requests

from imgur_sync.sandbox import Sandbox, SandboxOptions


@pytest.fixture
def sb(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    # Small pages so that listings span several of them.
    return start_sandbox("demo", options=SandboxOptions(page_size=5, favorites_page_size=2))


@pytest.fixture
def im(sb: Sandbox) -> pyimgur.Imgur:
    client = pyimgur.Imgur(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token)
    client.base_url = sb.url
    return client


def test_fetch_an_image(sb: Sandbox, im: pyimgur.Imgur) -> None:
    expected = sb.world.images_of(sb.username)[0]
    image = im.get_image(expected.id)
    assert image.title == expected.title
    assert image.size == expected.size and image.type == expected.mime
    assert image.link == f"{sb.url}/{expected.id}.{expected.ext}"
    assert requests.get(image.link_small_square).status_code == 200


def test_fetch_an_album_with_its_images_in_order(sb: Sandbox, im: pyimgur.Imgur) -> None:
    expected = sb.world.albums_of(sb.username)[-1]
    album = im.get_album(expected.id)
    assert album.title == expected.title
    assert [i.id for i in album.images] == expected.image_ids
    assert album.cover.id == expected.cover


def test_a_users_images_and_albums_across_pages(sb: Sandbox, im: pyimgur.Imgur) -> None:
    user = im.get_user(sb.username)
    assert user.name == sb.username
    images = user.get_images(limit=1000)
    assert [i.id for i in images] == [i.id for i in sb.world.images_of(sb.username)]
    albums = user.get_albums(limit=1000)
    assert {a.id for a in albums} == {a.id for a in sb.world.albums_of(sb.username)}
    routes = sb.counters.snapshot()["by_route"]
    assert routes["GET /3/account/<u>/images/<int:page>"] >= 3  # 12 images, pages of 5


def test_favorites_and_gallery_favorites(sb: Sandbox, im: pyimgur.Imgur) -> None:
    user = im.get_user(sb.username)
    favorites = user.get_favorites(limit=1000)
    expected = [item.id for item in sb.world.favorites_of(sb.username)]
    assert [f.id for f in favorites] == expected
    kinds = {type(f).__name__ for f in favorites}
    assert kinds == {"Gallery_image", "Gallery_album"}
    gallery = user.get_gallery_favorites(limit=1000)
    in_gallery = [i.id for i in sb.world.favorites_of(sb.username, gallery_only=True)]
    assert [g.id for g in gallery] == in_gallery and len(in_gallery) < len(expected)


def test_create_album_upload_into_it_add_and_remove(sb: Sandbox, im: pyimgur.Imgur,
                                                   tmp_path: Path) -> None:
    mine = [i.id for i in sb.world.images_of(sb.username)]
    album = im.create_album("Made by PyImgur", "conformance", images=mine[:2])
    assert sb.world.albums[album.id].image_ids == mine[:2]
    assert sb.world.albums[album.id].owner == sb.username

    picture = tmp_path / "upload.png"
    picture.write_bytes(requests.get(f"{sb.url}/{mine[5]}.png").content)
    uploaded = im.upload_image(str(picture), title="Uploaded with PyImgur", album=album.id)
    assert uploaded.title == "Uploaded with PyImgur"
    assert sb.world.images[uploaded.id].owner == sb.username
    assert sb.world.albums[album.id].image_ids == [*mine[:2], uploaded.id]

    fetched = im.get_album(album.id)
    fetched.add_images([mine[3], mine[4]])
    assert sb.world.albums[album.id].image_ids == [*mine[:2], uploaded.id, mine[3], mine[4]]
    fetched.remove_images([mine[0], uploaded.id])
    assert sb.world.albums[album.id].image_ids == [mine[1], mine[3], mine[4]]


def test_refresh_a_token(sb: Sandbox, im: pyimgur.Imgur) -> None:
    token = im.refresh_access_token()
    assert len(token) == 40 and im.access_token == token
    assert sb.world.token_for(token) is not None
    assert im.get_user("me").name == sb.username
