"""Web-API posts turned into /3/ Image and Album dicts: texts, times, links, bad items."""

from __future__ import annotations

from typing import Any

import pytest

from imgur_sync.api.webshapes import Skipped, convert_posts, epoch, post_album, post_image


def _media(image_id: str = "AbC1234", **fields: Any) -> dict[str, Any]:
    media: dict[str, Any] = {
        "id": image_id, "mime_type": "image/png", "type": "image", "name": "cat.png",
        "url": f"https://i.imgur.com/{image_id}.png", "ext": "png", "width": 640,
        "height": 480, "size": 12345, "created_at": "2024-03-01T12:00:00Z",
        "updated_at": "2024-03-01T12:00:00Z",
        "metadata": {"title": "", "description": "", "is_animated": False,
                     "is_looping": False, "duration": 0, "has_sound": False},
    }
    media.update(fields)
    return media


def _post(post_id: str, media: list[Any], **fields: Any) -> dict[str, Any]:
    post: dict[str, Any] = {
        "id": post_id, "title": "", "description": "", "account_id": 1, "cover_id": None,
        "created_at": "2024-03-02T00:00:00Z", "image_count": len(media), "is_album": False,
        "is_mature": False, "privacy": "public", "view_count": 7, "upvote_count": 0,
        "favorite": False, "media": media,
    }
    post.update(fields)
    return post


def test_iso_times_become_epochs_and_garbage_becomes_none() -> None:
    assert epoch("2024-03-01T12:00:00Z") == 1709294400
    assert epoch("2024-03-01T12:00:00+01:00") == 1709290800
    assert epoch("2024-03-01T12:00:00") == 1709294400  # naive: UTC
    for bad in ("yesterday", "", None, 1709294400, "2024-13-45T00:00:00Z"):
        assert epoch(bad) is None


def test_an_image_takes_its_texts_from_metadata() -> None:
    meta = {"title": "Cat", "description": "on a mat", "is_animated": False}
    image = post_image(_media(metadata=meta), _post("AbC1234", [], title="post title"))
    assert (image["title"], image["description"]) == ("Cat", "on a mat")
    assert image["datetime"] == 1709294400 and image["type"] == "image/png"
    assert (image["width"], image["height"], image["size"]) == (640, 480, 12345)
    assert image["link"] == "https://i.imgur.com/AbC1234.png" and image["mp4"] == ""
    assert image["animated"] is False and image["views"] == 7


def test_a_lone_image_falls_back_to_its_posts_texts() -> None:
    image = post_image(_media(), _post("AbC1234", [], title="T", description="D"))
    assert (image["title"], image["description"]) == ("T", "D")
    assert post_image(_media())["title"] is None  # "" is null, as /3/ says it


def test_a_video_gets_an_mp4_and_a_missing_url_is_built_from_id_and_ext() -> None:
    image = post_image(_media(mime_type="video/mp4", type="video", ext="mp4", url=None))
    assert image["animated"] is True
    assert image["link"] == image["mp4"] == "https://i.imgur.com/AbC1234.mp4"


def test_an_album_post_keeps_its_media_in_order() -> None:
    post = _post("Alb1234", [_media("one1111"), _media("two2222")], is_album=True,
                 title="Trip", privacy="hidden", cover_id="two2222")
    album, skipped = post_album(post)
    assert skipped == [] and [i["id"] for i in album["images"]] == ["one1111", "two2222"]
    assert (album["title"], album["privacy"], album["cover"], album["images_count"]) == (
        "Trip", "hidden", "two2222", 2)
    assert album["datetime"] == epoch("2024-03-02T00:00:00Z")


def test_bad_items_are_skipped_with_a_reason() -> None:
    posts: list[Any] = [
        _post("Alb1234", [_media("ok11111"), "junk", _media("../etc")], is_album=True),
        _post("Alb5678", {"not": "a list"}, is_album=True),
        _post("../../x", [_media()]),
        _post("lone123", []),
        42,
        _post("good123", [_media("good123", created_at="not a date")]),
    ]
    out = convert_posts(posts)
    assert [a["id"] for a in out.albums] == ["Alb1234"]
    assert [i["id"] for i in out.images] == ["ok11111", "good123"]
    assert out.images[1]["datetime"] == epoch("2024-03-02T00:00:00Z")  # the post's time
    reasons = {s.id: s.reason for s in out.skipped}
    assert set(reasons) == {"?", "../etc", "Alb5678", "../../x", "lone123"}
    assert "media is not a list" in reasons["Alb5678"]
    assert "not an Imgur id" in reasons["../../x"]
    assert Skipped("?", "in album Alb1234: its media item is not an object") in out.skipped


def test_one_bad_item_raises_value_error_from_the_single_converters() -> None:
    with pytest.raises(ValueError, match="not an Imgur id"):
        post_image(_media("a/b"))
    with pytest.raises(ValueError, match="not an object"):
        post_album(["a list"])
