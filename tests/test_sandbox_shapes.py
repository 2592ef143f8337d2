"""The sandbox answers in the shapes recorded from the real Imgur; the old ones stay an option.

Each changed route is fetched over HTTP and the JSON types of its fields are compared with
the facts (null, ``""``, ``"0"``, int, ``{id, deletehash}``, ``{replies, total}``). Then
the client and a pull are run on both shapes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pull_support import ROOT, check_tree, write_config

from imgur_sync.api import Imgur, Transport
from imgur_sync.api.gallery import Comment, Gallery_album
from imgur_sync.mirror import Mirror
from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.sandbox.models import Album, Image
from imgur_sync.settings.config import load_config
from imgur_sync.store import Store

SHAPES = ("real", "old")


def kind(data: dict[str, Any], key: str) -> str:
    """Name the JSON type of ``data[key]`` as the facts do; the two telling strings by value."""
    if key not in data:
        return "absent"
    value = data[key]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return {"": '""', "0": '"0"'}.get(value, "str")
    return type(value).__name__


def kinds(data: dict[str, Any], keys: dict[str, str]) -> dict[str, str]:
    return {key: kind(data, key) for key in keys}


@pytest.fixture(params=SHAPES)
def sb(request: pytest.FixtureRequest, start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The demo account, served in the real shapes (the default) or the old ones."""
    if request.param == "real":
        return start_sandbox("demo")  # no options at all: the default must be the real shapes
    return start_sandbox("demo", options=SandboxOptions(old_shapes=True))


def shape(sb: Sandbox) -> str:
    return "old" if sb.options.old_shapes else "real"


def call(sb: Sandbox, method: str, path: str, *, anon: bool = False, **kwargs: Any) -> Any:
    """Return ``data`` of one /3/ answer, with Bearer (or Client-ID when ``anon``)."""
    auth = f"Client-ID {sb.client_id}" if anon else f"Bearer {sb.access_token()}"
    r = requests.request(method, sb.url + path, headers={"Authorization": auth}, timeout=10,
                         **kwargs)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def favorite_album(sb: Sandbox) -> Album:
    return next(i for i in sb.world.favorites_of(sb.username) if isinstance(i, Album))


def still_and_animated(sb: Sandbox) -> tuple[Image, Image]:
    mine = sb.world.images_of(sb.username)
    return (next(i for i in mine if not i.animated), next(i for i in mine if i.animated))


# -- the routes, field by field ----------------------------------------------------------------

FAVORITE_ALBUM = {
    "real": {"images": "null", "tags": "null", "vote": '""', "topic": '""', "topic_id": '""',
             "privacy": '"0"'},
    "old": {"images": "list", "tags": "list", "vote": "absent", "topic": "str", "topic_id": "int",
            "privacy": "str"},
}
STILL_IMAGE = {"real": {"mp4": '""', "hls": '""'}, "old": {"mp4": "absent", "hls": "absent"}}
NOT_OWNER = {"real": {"deletehash": '""', "name": '""'},
             "old": {"deletehash": "absent", "name": "absent"}}
GALLERY_IMAGE = {"real": {"edited": "int"}, "old": {"edited": "\"0\""}}
IMAGE_IN_ALBUM = {"real": {"nsfw": "null"}, "old": {"nsfw": "bool"}}
REPLIES = {"real": {"replies": "list", "total": "int"}}
REPLY = {
    "real": {"id": "int", "comment_id": "int", "content": "str", "children": "list",
             "viewed": "bool", "author": "str"},
    "old": {"id": "int", "account_id": "int", "viewed": "bool", "content": "dict"},
}


def test_favorites_album_items(sb: Sandbox) -> None:
    album = favorite_album(sb)
    items = call(sb, "GET", "/3/account/me/favorites/0/newest")
    [item] = [i for i in items if i["id"] == album.id]
    assert item["is_album"] is True and item["images_count"] == len(album.image_ids)
    assert kinds(item, FAVORITE_ALBUM["real"]) == FAVORITE_ALBUM[shape(sb)]


def test_still_images_send_empty_video_links(sb: Sandbox) -> None:
    still, animated = still_and_animated(sb)
    data = call(sb, "GET", f"/3/image/{still.id}")
    assert kinds(data, STILL_IMAGE["real"]) == STILL_IMAGE[shape(sb)]
    moving = call(sb, "GET", f"/3/image/{animated.id}")
    assert moving["mp4"].endswith(f"/{animated.id}.mp4") and moving["hls"].endswith(".m3u8")


def test_non_owners_see_blank_secrets(sb: Sandbox) -> None:
    still, _ = still_and_animated(sb)
    stranger = call(sb, "GET", f"/3/image/{still.id}", anon=True)
    assert kinds(stranger, NOT_OWNER["real"]) == NOT_OWNER[shape(sb)]
    owner = call(sb, "GET", f"/3/image/{still.id}")
    assert (owner["deletehash"], owner["name"]) == (still.deletehash, still.name) != ("", "")


def test_gallery_images_send_edited_as_an_int(sb: Sandbox) -> None:
    post = next(i for i in sb.world.gallery_items() if isinstance(i, Image))
    data = call(sb, "GET", f"/3/gallery/image/{post.id}", anon=True)
    assert kinds(data, GALLERY_IMAGE["real"]) == GALLERY_IMAGE[shape(sb)]
    assert data["edited"] in (0, "0")
    assert kind(call(sb, "GET", f"/3/image/{post.id}", anon=True), "edited") == "\"0\""


def test_unflagged_images_inside_an_album_have_nsfw_null(sb: Sandbox) -> None:
    album = sb.world.albums_of(sb.username)[0]
    sb.world.images[album.image_ids[-1]].nsfw = True  # flagged: a bool in both shapes
    images = call(sb, "GET", f"/3/album/{album.id}/images")
    unflagged = [kinds(i, IMAGE_IN_ALBUM["real"]) for i in images[:-1]]
    assert unflagged and all(k == IMAGE_IN_ALBUM[shape(sb)] for k in unflagged)
    assert images[-1]["nsfw"] is True
    whole = call(sb, "GET", f"/3/album/{album.id}")
    assert [i["nsfw"] for i in whole["images"]] == [i["nsfw"] for i in images]
    alone = call(sb, "GET", f"/3/image/{album.image_ids[0]}")
    assert alone["nsfw"] is False  # the same image on its own route


def test_put_album_answers_id_and_deletehash(sb: Sandbox) -> None:
    album = sb.world.albums_of(sb.username)[0]
    answer = call(sb, "PUT", f"/3/album/{album.id}", data={"title": "Renamed"})
    if shape(sb) == "real":
        assert answer == {"id": album.id, "deletehash": album.deletehash}
    else:
        assert answer is True
    assert album.title == "Renamed"
    assert call(sb, "POST", f"/3/album/{album.id}", data={"title": "Again"}) is True


def test_reply_notifications(sb: Sandbox) -> None:
    answer = call(sb, "GET", "/3/account/me/notifications/replies", params={"new": "false"})
    if shape(sb) == "real":
        assert kinds(answer, REPLIES["real"]) == REPLIES["real"]
        assert answer["total"] == len(answer["replies"]) == 1
        [reply] = answer["replies"]
    else:
        assert isinstance(answer, list)
        [reply] = answer
    assert kinds(reply, REPLY[shape(sb)]) == REPLY[shape(sb)]
    note = next(iter(sb.world.notifications_of(sb.username, "reply")))
    comment = sb.world.comments[note.ref]
    assert reply["id"] == note.id
    if shape(sb) == "real":
        assert (reply["comment_id"], reply["content"]) == (comment.id, comment.comment)
    else:
        assert (reply["content"]["id"], reply["content"]["comment"]) == (comment.id,
                                                                        comment.comment)


def test_the_option_switches_a_running_sandbox(start_sandbox: Callable[..., Sandbox]) -> None:
    sb = start_sandbox("demo")
    assert sb.options.old_shapes is False
    album = favorite_album(sb)

    def album_item() -> dict[str, Any]:
        items = call(sb, "GET", "/3/account/me/favorites/0/newest")
        return next(i for i in items if i["id"] == album.id)

    assert album_item()["images"] is None
    r = requests.post(f"{sb.url}/__sandbox__/options", json={"old_shapes": True}, timeout=10)
    assert r.json()["data"]["old_shapes"] is True
    assert [i["id"] for i in album_item()["images"]] == album.image_ids


@pytest.fixture
def cli_sandbox() -> Iterator[subprocess.Popen[str]]:
    """``imgur-sync sandbox --port 0 --old-shapes`` in a subprocess; interrupted after."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "imgur_sync", "sandbox", "--port", "0", "--old-shapes"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    with proc:  # closes the pipe
        yield proc
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_the_command_line_offers_the_old_shapes(cli_sandbox: subprocess.Popen[str]) -> None:
    assert cli_sandbox.stdout is not None
    first = cli_sandbox.stdout.readline()  # "Imgur sandbox: ... listening on http://..."
    url = first.rsplit(" ", 1)[-1].strip()
    assert url.startswith("http://127.0.0.1:"), first
    options = requests.get(f"{url}/__sandbox__/options", timeout=10).json()["data"]
    assert options["old_shapes"] is True


# -- the client and the mirror on both shapes ------------------------------------------------------


@pytest.fixture
def im(sb: Sandbox) -> Imgur:
    return Imgur(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token, api_url=sb.url)


def test_user_get_replies_reads_both_shapes(sb: Sandbox, im: Imgur) -> None:
    [note] = sb.world.notifications_of(sb.username, "reply")
    comment = sb.world.comments[note.ref]
    [reply] = im.get_user("me").get_replies()
    assert reply.id == note.id and reply.is_viewed is False
    assert isinstance(reply.content, Comment)
    assert (reply.content.id, reply.content.text) == (comment.id, comment.comment)
    assert reply.content.author.name == comment.author
    assert [r.id for r in reply.content.replies] == []  # "Mochi!" has no answers yet
    sb.world.notifications[note.id].viewed = True
    assert im.get_user("me").get_replies() == []


def test_favorite_albums_without_images_fetch_them_when_read(sb: Sandbox, im: Imgur) -> None:
    album = favorite_album(sb)
    [item] = [f for f in im.get_user("me").get_favorites() if f.id == album.id]
    assert isinstance(item, Gallery_album)
    assert [i.id for i in item.images] == album.image_ids
    assert album.cover is not None and item.cover.id == album.cover
    route = "GET /3/gallery/<any(image,album):kind>/<item_id>"
    fetched = sb.counters.snapshot()["by_route"].get(route, 0)
    assert fetched == (1 if shape(sb) == "real" else 0)


def test_client_models_on_the_real_fields(sb: Sandbox, im: Imgur) -> None:
    album = sb.world.albums_of(sb.username)[0]
    fetched = im.get_album(album.id)
    expected_nsfw = None if shape(sb) == "real" else False
    assert [i.is_nsfw for i in fetched.images] == [expected_nsfw] * len(album.image_ids)
    assert fetched.update(title="Renamed by the client") is True
    assert sb.world.albums[album.id].title == "Renamed by the client"
    still, _ = still_and_animated(sb)
    anonymous = Imgur(sb.client_id, api_url=sb.url).get_image(still.id)
    assert not anonymous.deletehash  # "" or absent: nothing to act on
    assert anonymous.link.endswith(f"/{still.id}.png")


def test_a_pull_mirrors_favorite_albums_completely(sb: Sandbox, tmp_path: Path) -> None:
    theirs, own = favorite_album(sb), sb.world.albums_of(sb.username)[0]
    sb.world.favorite(sb.username, own.id)  # an own album among the favorites, too
    listed = call(sb, "GET", "/3/account/me/favorites/0/newest")
    albums = [i for i in listed if i["is_album"]]
    assert len(albums) == 2
    assert all((i["images"] is None) == (shape(sb) == "real") for i in albums)

    config = load_config(write_config(tmp_path, sb))
    transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                          api_url=sb.url)
    with Store(tmp_path / "state.db") as store:
        result = Mirror(config, store, transport).pull()
        assert result.outcome == "ok", result.problems
        assert check_tree(config.mirror.root, store, sb.world, sb.username) == []
    for favorite in (theirs, own):
        [folder] = (config.mirror.root / "favorites").glob(f"*[[]{favorite.id}[]]")
        media = [p for p in folder.iterdir() if p.suffix not in (".xmp", ".json")]
        assert len(media) == len(favorite.image_ids) > 0
