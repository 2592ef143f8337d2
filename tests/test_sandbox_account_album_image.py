"""The sandbox's account, album and image endpoints over real HTTP (IMGUR-API.md §Endpoints)."""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.sandbox.media import render_gif, render_mp4_stub, render_png, render_tiny_png

T0 = 1_735_689_600  # fixed epochs keep the newest-first order deterministic
OTHER = "otheruser"


def png(seed: int) -> bytes:
    return render_tiny_png(seed)


@dataclass
class World:
    """A served sandbox with known content and ready-made headers."""

    sb: Sandbox
    http: requests.Session
    mine: list[str]  # the main account's image ids, newest first
    theirs: str  # an image of OTHER
    anon: str  # an anonymous image
    public_album: str
    hidden_album: str
    their_album: str

    @property
    def url(self) -> str:
        return self.sb.url

    def bearer(self, user: str | None = None) -> dict[str, str]:
        token = self.sb.world.issue_token(user or self.sb.username, self.sb.client_id)
        return {"Authorization": f"Bearer {token.access_token}"}

    def client(self) -> dict[str, str]:
        return {"Authorization": f"Client-ID {self.sb.client_id}"}

    def call(self, method: str, path: str, *, user: str | None = None, anon: bool = False,
             **kwargs: Any) -> requests.Response:
        headers = self.client() if anon else self.bearer(user)
        return self.http.request(method, self.url + path, headers=headers, **kwargs)

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self.call(method, path, **kwargs)
        assert r.status_code == 200, r.text
        return r.json()["data"]


def populate(sb: Sandbox, http: requests.Session) -> World:
    w = sb.world
    user = sb.username
    w.add_account(OTHER)
    mine = []
    for i in range(5):
        data = png(i + 1)
        image = w.add_image(user, f"mine {i}", datetime=T0 + 100 * i, media_kind="stored",
                            data=data, mime="image/png", ext="png", name=f"file{i}.png")
        mine.append(image.id)
    mine.reverse()  # newest first
    theirs = w.add_image(OTHER, "theirs", datetime=T0, media_kind="stored", data=png(50)).id
    anon = w.add_image(None, "anon", datetime=T0, media_kind="stored", data=png(51)).id
    public = w.add_album(user, "public", [mine[4], mine[3]], datetime=T0 + 10).id
    hidden = w.add_album(user, "hidden", [mine[2]], datetime=T0 + 20, privacy="hidden").id
    their_album = w.add_album(OTHER, "their album", [theirs], datetime=T0).id
    return World(sb, http, mine, theirs, anon, public, hidden, their_album)


@pytest.fixture
def serve(start_sandbox: Callable[..., Sandbox], http: requests.Session,
          ) -> Callable[..., World]:
    def start(**options: Any) -> World:
        return populate(start_sandbox("empty", options=SandboxOptions(**options)), http)

    return start


@pytest.fixture
def world(serve: Callable[..., World]) -> World:
    return serve()


def error_of(r: requests.Response, status: int) -> str:
    body = r.json()
    assert r.status_code == status and body["status"] == status and body["success"] is False
    assert body["data"]["request"] and body["data"]["method"]
    return body["data"]["error"]


# -- the account ---------------------------------------------------------------------------


def test_account_envelope_lookup_by_id_and_me_rules(world: World) -> None:
    r = world.call("GET", f"/3/account/{world.sb.username}", anon=True)
    assert r.json()["success"] is True and r.json()["status"] == 200
    account = r.json()["data"]
    assert account["url"] == world.sb.username
    by_id = world.data("GET", f"/3/account/whoever?account_id={account['id']}", anon=True)
    assert by_id == account
    assert error_of(world.call("GET", "/3/account/me", anon=True), 403) == (
        "This method requires authentication")
    assert world.data("GET", "/3/account/me")["url"] == world.sb.username
    assert world.call("GET", "/3/account/nobody", anon=True).status_code == 404
    assert world.data("DELETE", "/3/account/me") is True
    assert world.call("DELETE", "/3/account/me", anon=True).status_code == 403
    assert world.call("DELETE", f"/3/account/{OTHER}").status_code == 403


def test_account_images_are_paged_from_zero_newest_first(serve: Callable[..., World]) -> None:
    world = serve(page_size=2)
    u = world.sb.username
    pages = [world.data("GET", f"/3/account/{u}/images/{p}", anon=True) for p in range(4)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [i["id"] for p in pages for i in p] == world.mine
    assert pages[0][0]["account_url"] == u and pages[0][0]["deletehash"] == ""
    assert world.data("GET", f"/3/account/{u}/images", anon=True) == pages[0]
    assert [i["id"] for i in world.data("GET", "/3/account/me/images/0?perPage=3")] == (
        world.mine[:3])
    own = world.data("GET", "/3/account/me/images/0")[0]
    assert own["deletehash"] == world.sb.world.images[own["id"]].deletehash
    assert own["name"] == "file4.png"
    assert world.data("GET", "/3/account/me/images/ids/1") == world.mine[2:4]
    assert world.data("GET", "/3/account/me/images/ids/3") == []
    assert world.data("GET", f"/3/account/{u}/images/count", anon=True) == 5
    assert world.call("GET", "/3/account/me/images/0", anon=True).status_code == 403


def test_account_image_read_and_delete_by_deletehash(world: World) -> None:
    u = world.sb.username
    assert world.data("GET", f"/3/account/{u}/image/{world.mine[0]}")["id"] == world.mine[0]
    r = world.call("GET", f"/3/account/{u}/image/{world.theirs}")
    assert error_of(r, 404) == f"Unable to find an image with the id, {world.theirs}"
    r = world.call("DELETE", f"/3/account/me/image/{world.theirs}")
    assert error_of(r, 403) == "You do not have permission to delete this image"
    deletehash = world.sb.world.images[world.mine[1]].deletehash
    assert world.data("DELETE", f"/3/account/{u}/image/{deletehash}", anon=True) is True
    assert world.sb.world.images[world.mine[1]].deleted
    assert world.data("GET", "/3/account/me/images/count") == 4


def test_account_albums_hide_hidden_ones_from_others(serve: Callable[..., World]) -> None:
    world = serve(page_size=1)
    u = world.sb.username
    assert world.data("GET", f"/3/account/{u}/albums/count", anon=True) == 1
    assert world.data("GET", f"/3/account/{u}/albums/ids/0", anon=True) == [world.public_album]
    assert world.data("GET", "/3/account/me/albums/count") == 2
    owned = [world.data("GET", f"/3/account/me/albums/{p}") for p in range(3)]
    assert [[a["id"] for a in p] for p in owned] == [[world.hidden_album],
                                                     [world.public_album], []]
    assert "images" not in owned[0][0] and owned[0][0]["deletehash"]
    assert world.data("GET", "/3/account/me/albums") == owned[0]
    assert world.data("GET", "/3/account/me/albums/ids/1") == [world.public_album]
    album = world.data("GET", f"/3/account/{u}/album/{world.public_album}", anon=True)
    assert [i["id"] for i in album["images"]] == [world.mine[4], world.mine[3]]
    r = world.call("GET", f"/3/account/{u}/album/{world.their_album}")
    assert error_of(r, 404) == f"Unable to find an album with the id, {world.their_album}"
    r = world.call("DELETE", f"/3/account/me/album/{world.their_album}")
    assert error_of(r, 403) == "You do not have permission to delete this album"
    assert world.data("DELETE", f"/3/account/me/album/{world.hidden_album}") is True
    assert world.data("GET", "/3/account/me/albums/count") == 1


def test_favorites_are_owner_only_paged_and_sortable(serve: Callable[..., World]) -> None:
    world = serve(favorites_page_size=2)
    w, u = world.sb.world, world.sb.username
    w.share(world.theirs, tags=["cats"])
    for item in (world.theirs, world.mine[0], world.their_album):  # last is newest
        w.favorite(u, item)
    assert error_of(world.call("GET", "/3/account/me/favorites/0", anon=True), 403) == (
        "This method requires authentication")
    assert world.call("GET", f"/3/account/{u}/favorites/0", user=OTHER).status_code == 403
    pages = [world.data("GET", f"/3/account/{u}/favorites/{p}") for p in range(3)]
    assert [[f["id"] for f in p] for p in pages] == [
        [world.their_album, world.mine[0]], [world.theirs], []]
    assert [f["is_album"] for f in pages[0]] == [True, False]
    assert pages[0][1]["ups"] is None and pages[1][0]["ups"] == 0  # only gallery items vote
    oldest = world.data("GET", "/3/account/me/favorites/0/oldest")
    assert [f["id"] for f in oldest] == [world.theirs, world.mine[0]]
    assert world.data("GET", "/3/account/me/favorites") == pages[0]
    gallery = world.data("GET", f"/3/account/{u}/gallery_favorites/0", anon=True)
    assert [g["id"] for g in gallery] == [world.theirs]
    assert world.data("GET", f"/3/account/{u}/gallery_favorites/1/newest", anon=True) == []
    assert world.data("GET", f"/3/account/{u}/gallery_favorites", anon=True) == gallery


def test_submissions_sorts(world: World) -> None:
    w, u = world.sb.world, world.sb.username
    for n, image_id in enumerate(world.mine[:3]):
        w.share(image_id)
        w.images[image_id].gallery_datetime = T0 + n  # mine[2] entered the gallery last
        w.images[image_id].ups = [5, 1, 9][n]
    w.share(world.theirs)
    ids: Callable[[str], list[str]] = lambda path: [  # noqa: E731
        i["id"] for i in world.data("GET", path, anon=True)]
    assert ids(f"/3/account/{u}/submissions/0") == [world.mine[2], world.mine[1], world.mine[0]]
    assert ids(f"/3/account/{u}/submissions") == ids(f"/3/account/{u}/submissions/0/newest")
    assert ids(f"/3/account/{u}/submissions/0/oldest") == world.mine[:3]
    assert ids(f"/3/account/{u}/submissions/0/best") == [world.mine[2], world.mine[0],
                                                           world.mine[1]]
    assert ids(f"/3/account/{u}/submissions/0/worst")[0] == world.mine[1]
    assert ids(f"/3/account/{u}/submissions/1") == []


def test_comments_list_sort_count_read_and_delete(serve: Callable[..., World]) -> None:
    world = serve(comments_page_size=2)
    w, u = world.sb.world, world.sb.username
    w.share(world.theirs)
    made = [w.add_comment(u, world.theirs, f"comment {n}") for n in range(3)]
    for n, comment in enumerate(made):
        comment.datetime = T0 + n
        comment.ups = [3, 10, 1][n]
    foreign = w.add_comment(OTHER, world.theirs, "not mine")
    newest = world.data("GET", f"/3/account/{u}/comments/newest/0", anon=True)
    assert [c["id"] for c in newest] == [made[2].id, made[1].id]
    assert newest[0]["author"] == u and newest[0]["comment"] == "comment 2"
    assert world.data("GET", f"/3/account/{u}/comments/newest/1", anon=True)[0]["id"] == (
        made[0].id)
    assert world.data("GET", f"/3/account/{u}/comments/newest/2", anon=True) == []
    assert world.data("GET", f"/3/account/{u}/comments/ids/oldest/0", anon=True) == [
        made[0].id, made[1].id]
    assert world.data("GET", f"/3/account/{u}/comments/ids/best/0", anon=True) == [
        made[1].id, made[0].id]
    assert world.data("GET", f"/3/account/{u}/comments/count", anon=True) == 3
    assert world.data("GET", f"/3/account/{u}/comment/{made[1].id}", anon=True)["ups"] == 10
    r = world.call("GET", f"/3/account/{u}/comment/{foreign.id}", anon=True)
    assert error_of(r, 404) == f"Unable to find a comment with the id, {foreign.id}"
    assert world.call("DELETE", f"/3/account/{u}/comment/{made[0].id}",
                      anon=True).status_code == 403
    assert world.data("DELETE", f"/3/account/me/comment/{made[0].id}") is True
    assert world.data("GET", "/3/account/me/comments/count") == 2


def test_settings_read_change_and_rename(world: World) -> None:
    u = world.sb.username
    assert world.call("GET", f"/3/account/{u}/settings", anon=True).status_code == 403
    assert world.call("GET", f"/3/account/{u}/settings", user=OTHER).status_code == 403
    settings = world.data("GET", "/3/account/me/settings")
    assert settings["account_url"] == u and settings["show_mature"] is False
    assert world.data("POST", "/3/account/me/settings", data={
        "bio": "hello", "public_images": "false", "show_mature": "true",
        "album_privacy": "secret", "messaging_enabled": "0"}) is True
    assert world.data("PUT", "/3/account/me/settings", json={
        "accepted_gallery_terms": False}) is True
    settings = world.data("GET", "/3/account/me/settings")
    assert (settings["public_images"], settings["show_mature"], settings["album_privacy"],
            settings["messaging_enabled"], settings["accepted_gallery_terms"]) == (
        False, True, "secret", False, False)
    assert world.data("GET", f"/3/account/{u}", anon=True)["bio"] == "hello"
    # A new album defaults to the account's album privacy.
    created = world.data("POST", "/3/album", data={"title": "t"})
    assert world.sb.world.albums[created["id"]].privacy == "secret"
    bad = world.call("POST", "/3/account/me/settings", data={"username": "ab"})
    assert error_of(bad, 400)
    taken = world.call("POST", "/3/account/me/settings", data={"username": OTHER})
    assert error_of(taken, 400) == "Username is already taken"
    headers = world.bearer()
    r = world.http.post(f"{world.url}/3/account/me/settings", headers=headers,
                        data={"username": "renamed42"})
    assert r.json()["data"] is True
    assert world.http.get(f"{world.url}/3/account/me", headers=headers).json()["data"][
        "url"] == "renamed42"  # the same token still works
    assert world.data("GET", "/3/account/renamed42/images/count", anon=True) == 5
    assert world.call("GET", f"/3/account/{u}", anon=True).status_code == 404


def test_profile_stats_email_and_avatars(world: World) -> None:
    w, u = world.sb.world, world.sb.username
    w.share(world.mine[0])
    profile = world.data("GET", f"/3/account/{u}/gallery_profile", anon=True)
    assert profile["total_gallery_submissions"] == 1 and profile["trophies"] == []
    stats = world.data("GET", f"/3/account/{u}/stats")
    assert (stats["total_images"], stats["total_albums"]) == (5, 2)
    assert world.call("GET", f"/3/account/{u}/stats", anon=True).status_code == 403
    assert world.data("GET", "/3/account/me/verifyemail") is True
    w.account(u).verified_email = False
    assert world.data("GET", "/3/account/me/verifyemail") is False
    assert world.data("POST", "/3/account/me/verifyemail") is True
    assert world.call("GET", f"/3/account/{u}/verifyemail", anon=True).status_code == 403
    assert world.data("GET", "/3/account/me/avatar")["avatar_name"] == "default/" + u[0].upper()
    avatars = world.data("GET", "/3/account/me/available_avatars")
    assert avatars["count"] == len(avatars["available_avatars"]) > 0


def test_reply_notifications(world: World) -> None:
    w, u = world.sb.world, world.sb.username
    w.share(world.theirs)
    parent = w.add_comment(u, world.theirs, "first")
    reply = w.add_comment(OTHER, world.theirs, "a reply", parent_id=parent.id)
    assert world.call("GET", "/3/account/me/notifications/replies", anon=True).status_code == 403
    answer = world.data("GET", "/3/account/me/notifications/replies")
    notes = answer["replies"]
    assert answer["total"] == len(notes) == 1 and notes[0]["viewed"] is False
    assert notes[0]["comment_id"] == reply.id and notes[0]["author"] == OTHER
    next(iter(w.notifications.values())).viewed = True
    assert world.data("GET", "/3/account/me/notifications/replies?new=true") == {
        "replies": [], "total": 0}
    assert world.data("GET", "/3/account/me/notifications/replies?new=false")["total"] == 1


def test_follow_and_unfollow_a_tag(world: World) -> None:
    world.sb.world.share(world.theirs, tags=["cats"])
    r = world.call("POST", "/3/account/me/follow/tag/dogs")
    assert error_of(r, 404) == "Tag does not exist"
    assert world.call("POST", "/3/account/me/follow/tag/cats", anon=True).status_code == 403
    assert world.data("POST", "/3/account/me/follow/tag/cats") is True
    assert world.data("DELETE", "/3/account/me/follow/tag/cats") is True
    r = world.call("DELETE", "/3/account/me/follow/tag/cats")
    assert error_of(r, 409) == "Not following tag"


# -- albums -----------------------------------------------------------------------------------


def test_album_reads_and_404s(world: World) -> None:
    album = world.data("GET", f"/3/album/{world.public_album}", anon=True)
    assert album["images_count"] == 2 and album["is_album"] is True
    assert [i["id"] for i in album["images"]] == [world.mine[4], world.mine[3]]
    assert {(i["account_url"], i["account_id"]) for i in album["images"]} == {(None, None)}
    assert "deletehash" not in album
    images = world.data("GET", f"/3/album/{world.public_album}/images", anon=True)
    assert images == album["images"]
    one = world.data("GET", f"/3/album/{world.public_album}/image/{world.mine[3]}", anon=True)
    assert one["id"] == world.mine[3]
    r = world.call("GET", f"/3/album/{world.public_album}/image/{world.mine[0]}", anon=True)
    assert error_of(r, 404) == f"Unable to find an image with the id, {world.mine[0]}"
    r = world.call("GET", "/3/album/zzzzzzz", anon=True)
    assert r.json() == {"data": {"error": "Unable to find an album with the id, zzzzzzz",
                                 "request": "/3/album/zzzzzzz", "method": "GET"},
                        "success": False, "status": 404}
    hidden = world.data("GET", f"/3/album/{world.hidden_album}", anon=True)  # by link
    assert hidden["privacy"] == "hidden"


@pytest.mark.parametrize("form", ["brackets", "comma", "parts", "json"])
def test_create_album_with_every_ids_form(world: World, form: str) -> None:
    wanted = [world.mine[1], world.theirs, world.mine[0]]  # theirs is skipped silently
    kwargs: dict[str, Any] = {
        "brackets": {"data": {"ids[]": wanted, "title": "new"}},
        "comma": {"data": {"ids": ",".join(wanted), "title": "new"}},
        "parts": {"files": [("ids", (None, i)) for i in wanted] + [("title", (None, "new"))]},
        "json": {"json": {"ids": wanted, "title": "new"}},
    }[form]
    created = world.data("POST", "/3/album/", **kwargs)  # PyImgur's trailing slash
    assert len(created["deletehash"]) == 15
    album = world.sb.world.albums[created["id"]]
    assert album.image_ids == [world.mine[1], world.mine[0]]
    assert (album.owner, album.title, album.cover) == (world.sb.username, "new", world.mine[1])


def test_anonymous_album_by_deletehashes(world: World) -> None:
    w = world.sb.world
    anon_hash = w.images[world.anon].deletehash
    created = world.data("POST", "/3/album", anon=True, data={
        "deletehashes[]": [anon_hash], "ids[]": [world.mine[0]], "title": "anon",
        "privacy": "hidden", "layout": "grid", "description": "d"})
    album = w.albums[created["id"]]
    assert (album.owner, album.image_ids, album.privacy, album.layout, album.description) == (
        None, [world.anon], "hidden", "grid", "d")
    r = world.call("POST", f"/3/album/{album.id}", anon=True, data={"title": "x"})
    assert error_of(r, 403) == "You do not have permission to edit this album"
    assert world.data("POST", f"/3/album/{album.deletehash}", anon=True,
                      data={"title": "renamed"}) is True
    assert album.title == "renamed"
    assert world.data("DELETE", f"/3/album/{album.deletehash}", anon=True) is True
    assert album.deleted


def test_update_album_fields_and_set_images(world: World) -> None:
    w, album_id = world.sb.world, world.public_album
    assert world.data("PUT", f"/3/album/{album_id}", data={
        "title": "T", "description": "D", "privacy": "secret", "layout": "vertical",
        "ids": f"{world.mine[0]},{world.mine[1]},{world.theirs}", "cover": world.mine[1]}) == {
        "id": album_id, "deletehash": w.albums[album_id].deletehash}
    album = w.albums[album_id]
    assert (album.title, album.description, album.privacy, album.layout) == (
        "T", "D", "secret", "vertical")
    assert album.image_ids == [world.mine[0], world.mine[1]] and album.cover == world.mine[1]
    # imgurpython's album_set_images: POST to the trailing-slash path with comma ids.
    assert world.data("POST", f"/3/album/{album_id}/", data={"ids": world.mine[2]}) is True
    assert album.image_ids == [world.mine[2]] and album.title == "T"
    r = world.call("PUT", f"/3/album/{album_id}", user=OTHER, data={"title": "x"})
    assert error_of(r, 403) == "You do not have permission to edit this album"
    r = world.call("PUT", "/3/album/nope123", data={"title": "x"})
    assert error_of(r, 404) == "Unable to find an album with the id, nope123"


def test_add_images_needs_ownership_of_every_image(world: World) -> None:
    w, album_id = world.sb.world, world.public_album
    assert world.data("POST", f"/3/album/{album_id}/add",
                      data={"ids[]": [world.mine[0], world.mine[4]]}) is True
    assert w.albums[album_id].image_ids == [world.mine[4], world.mine[3], world.mine[0]]
    assert world.data("PUT", f"/3/album/{album_id}/add", data={"ids": world.mine[1]}) is True
    assert w.albums[album_id].image_ids[-1] == world.mine[1]
    r = world.call("POST", f"/3/album/{album_id}/add", data={"ids": f"{world.mine[2]},"
                                                                    f"{world.theirs}"})
    assert error_of(r, 403) == f"You must own all the image ids to add them to album {album_id}"
    assert world.mine[2] not in w.albums[album_id].image_ids
    anon_hash = w.images[world.anon].deletehash
    assert world.data("POST", f"/3/album/{album_id}/add",
                      data={"deletehashes": anon_hash}) is True
    assert w.albums[album_id].image_ids[-1] == world.anon


@pytest.mark.parametrize("how", ["post-form", "post-parts", "delete-query", "delete-json"])
def test_remove_images(world: World, how: str) -> None:
    album_id = world.public_album
    method, kwargs = {
        "post-form": ("POST", {"data": {"ids[]": [world.mine[4]]}}),
        "post-parts": ("POST", {"files": [("ids", (None, world.mine[4]))]}),
        "delete-query": ("DELETE", {"params": {"ids": world.mine[4]}}),
        "delete-json": ("DELETE", {"json": {"ids": [world.mine[4]]}}),
    }[how]
    assert world.data(method, f"/3/album/{album_id}/remove_images", **kwargs) is True
    assert world.sb.world.albums[album_id].image_ids == [world.mine[3]]
    assert world.sb.world.albums[album_id].cover == world.mine[3]


def test_delete_album_and_favorite_it(world: World) -> None:
    r = world.call("DELETE", f"/3/album/{world.public_album}", user=OTHER)
    assert error_of(r, 403) == "You do not have permission to delete this album"
    r = world.call("POST", f"/3/album/{world.their_album}/favorite", anon=True)
    assert error_of(r, 403) == "This method requires authentication"
    assert world.data("POST", f"/3/album/{world.their_album}/favorite") == "favorited"
    assert world.data("GET", f"/3/album/{world.their_album}")["favorite"] is True
    assert world.data("POST", f"/3/album/{world.their_album}/favorite") == "unfavorited"
    assert world.data("DELETE", f"/3/album/{world.public_album}") is True
    assert world.call("GET", f"/3/album/{world.public_album}").status_code == 404
    assert world.sb.world.images[world.mine[4]].deleted is False  # images stay


# -- images --------------------------------------------------------------------------------------


def test_get_image_and_its_404(world: World) -> None:
    image = world.data("GET", f"/3/image/{world.mine[0]}", anon=True)
    assert image["link"] == f"{world.url}/{world.mine[0]}.png" and image["deletehash"] == ""
    assert image["account_url"] == world.sb.username
    r = world.call("GET", "/3/image/8pCqe", anon=True)
    assert r.json() == {"data": {"error": "Unable to find an image with the id, 8pCqe",
                                 "request": "/3/image/8pCqe", "method": "GET"},
                        "success": False, "status": 404}


def test_upload_multipart_with_bearer_into_own_album(world: World) -> None:
    data = render_png(7, 40, 30)
    r = world.call("POST", "/3/image", files={"image": ("holiday.png", data, "image/png")},
                   data={"title": "T", "description": "D", "album": world.public_album})
    assert r.status_code == 200 and r.headers["X-RateLimit-UserRemaining"]
    image = r.json()["data"]
    assert (image["type"], image["width"], image["height"], image["size"]) == (
        "image/png", 40, 30, len(data))
    assert (image["title"], image["description"], image["name"]) == ("T", "D", "holiday.png")
    assert image["account_url"] == world.sb.username and len(image["deletehash"]) == 15
    assert world.http.get(image["link"]).content == data
    assert world.sb.world.albums[world.public_album].image_ids[-1] == image["id"]
    assert world.sb.counters.snapshot()["uploads"] == 1
    assert world.data("GET", "/3/account/me/images/count") == 6


def test_upload_base64_anonymously_into_anonymous_album(world: World) -> None:
    w = world.sb.world
    album = w.add_album(None, "anon album")
    gif = render_gif(3, 20, 10)
    image = world.data("POST", "/3/upload", anon=True, data={
        "image": base64.b64encode(gif).decode(), "type": "base64", "name": "a.gif",
        "album": album.deletehash})
    assert (image["type"], image["animated"], image["account_id"]) == ("image/gif", True, None)
    assert image["name"] == "a.gif" and image["deletehash"] == w.images[image["id"]].deletehash
    assert w.images[image["id"]].owner is None and album.image_ids == [image["id"]]
    # PyImgur sends album_id; an album the anonymous caller cannot edit is refused.
    r = world.call("POST", "/3/image", anon=True, data={
        "image": base64.b64encode(gif).decode(), "album_id": world.public_album})
    assert error_of(r, 403) == "You do not have permission to edit this album"


def test_upload_from_the_sandboxs_own_media_url(world: World) -> None:
    source = world.sb.world.images[world.mine[0]]
    image = world.data("POST", "/3/image", anon=True,
                       data={"image": f"{world.url}/{source.id}.png"})  # type inferred
    assert world.http.get(image["link"]).content == source.data
    thumb = world.data("POST", "/3/image", data={"image": f"{world.url}/{source.id}s.png",
                                                 "type": "url"})
    assert thumb["type"] == "image/png" and thumb["id"] != image["id"]


def test_upload_from_an_unreachable_url_is_invalid(world: World) -> None:
    with socket.socket() as s:  # a port nobody listens on: the connection is refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = world.call("POST", "/3/image", data={"image": f"http://127.0.0.1:{port}/x.png"})
    assert error_of(r, 400) == "Invalid URL"
    r = world.call("POST", "/3/image", data={"image": "ftp://example.invalid/x", "type": "url"})
    assert error_of(r, 400) == "Invalid URL"


def test_upload_video_multipart(world: World) -> None:
    clip = render_mp4_stub(9)
    image = world.data("POST", "/3/image", files={"video": ("clip.mp4", clip, "video/mp4")})
    assert image["type"] == "video/mp4" and image["processing"] == {"status": "completed"}
    assert image["name"] == "clip.mp4"


@pytest.mark.parametrize(("fields", "files", "message"), [
    ({"image": "aGVsbG8=", "video": "aGVsbG8="}, None, "Bad Request"),
    ({"title": "nothing"}, None, "No image data was sent to the upload api"),
    ({"image": "!!! not base64 !!!"}, None, "File type invalid (1)"),
    ({"image": base64.b64encode(b"plain text, not a picture").decode()}, None,
     "File type invalid (1)"),
    ({"type": "file"}, {"image": ("a.txt", b"hello", "text/plain")}, "File type invalid (1)"),
    ({"image": "aGVsbG8=", "type": "carrier-pigeon"}, None, "Bad Request"),
])
def test_bad_uploads_are_400(world: World, fields: dict[str, str],
                             files: dict[str, Any] | None, message: str) -> None:
    r = world.call("POST", "/3/image", data=fields, files=files)
    assert error_of(r, 400) == message
    assert world.sb.counters.snapshot()["uploads"] == 0


def test_upload_over_the_size_limit(serve: Callable[..., World]) -> None:
    world = serve(max_image_bytes=300)
    big = render_png(1, 64, 64)
    assert len(big) > 300
    r = world.call("POST", "/3/image", files={"image": ("big.png", big)})
    assert error_of(r, 400) == "File is over the size limit"
    ok = world.call("POST", "/3/image", files={"image": ("tiny.png", png(3))})
    assert len(png(3)) <= 300 and ok.status_code == 200


def test_update_image_by_id_or_deletehash(world: World) -> None:
    w = world.sb.world
    assert world.data("POST", f"/3/image/{world.mine[0]}", data={"title": "new"}) is True
    assert w.images[world.mine[0]].title == "new"
    anon_hash = w.images[world.anon].deletehash
    assert world.data("POST", f"/3/image/{anon_hash}", anon=True,
                      data={"description": "described"}) is True
    assert (w.images[world.anon].title, w.images[world.anon].description) == (
        "anon", "described")
    r = world.call("POST", f"/3/image/{world.theirs}", data={"title": "mine now"})
    assert error_of(r, 403) == "You do not have permission to edit this image"
    r = world.call("POST", "/3/image/nope123", data={"title": "x"})
    assert error_of(r, 404) == "Unable to find an image with the id, nope123"


def test_delete_image_by_id_or_deletehash(world: World) -> None:
    w = world.sb.world
    r = world.call("DELETE", f"/3/image/{world.theirs}")
    assert error_of(r, 403) == "You do not have permission to delete this image"
    r = world.call("DELETE", f"/3/image/{world.mine[0]}", anon=True)
    assert error_of(r, 403) == "You do not have permission to delete this image"
    assert world.data("DELETE", f"/3/image/{world.mine[4]}") is True
    assert world.sb.world.albums[world.public_album].image_ids == [world.mine[3]]
    assert world.data("DELETE", f"/3/image/{w.images[world.anon].deletehash}",
                      anon=True) is True
    assert world.call("GET", f"/3/image/{world.anon}").status_code == 404


def test_favorite_image_toggles(world: World) -> None:
    r = world.call("POST", f"/3/image/{world.theirs}/favorite", anon=True)
    assert error_of(r, 403) == "This method requires authentication"
    assert world.data("POST", f"/3/image/{world.theirs}/favorite") == "favorited"
    assert world.data("GET", f"/3/image/{world.theirs}")["favorite"] is True
    assert world.data("POST", f"/3/image/{world.theirs}/favorite") == "unfavorited"
    assert world.sb.world.favorites_of(world.sb.username) == []
