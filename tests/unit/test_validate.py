"""The checks on listed items: what is skipped, what is coerced, what passes as sent."""

from __future__ import annotations

from typing import Any

import pytest

from imgur_sync.api import MalformedResponse
from imgur_sync.mirror import validate

IMAGE = {"id": "AbC1234", "link": "https://i.imgur.com/AbC1234.png", "title": "t",
         "datetime": 1406927327, "size": 94, "type": "image/png"}


@pytest.mark.parametrize(("fields", "why"), [
    ({"id": "../x"}, "its id cannot name a file"),
    ({"id": "CON"}, "its id cannot name a file"),  # a Windows device name
    ({"id": 1234567}, "its id cannot name a file"),
    ({"link": None}, "no media link"),
    ({"link": ""}, "no media link"),
    ({"link": "file:///etc/passwd"}, r"is not an http\(s\) URL"),
    ({"link": "https://"}, r"is not an http\(s\) URL"),
])
def test_an_image_that_cannot_be_mirrored_says_why(fields: dict[str, Any], why: str) -> None:
    with pytest.raises(validate.BadItem, match=why):
        validate.image({**IMAGE, **fields})


@pytest.mark.parametrize(("fields", "kept"), [
    # What the real API sends passes as sent: the row mappers read it.
    ({"deletehash": "", "name": "", "mp4": "", "nsfw": None, "edited": 0},
     {"deletehash": "", "mp4": ""}),
    ({"datetime": "1406927327", "size": 0}, {"datetime": "1406927327", "size": 0}),
    ({"datetime": 1406927327.5}, {"datetime": 1406927327.5}),
    # What no column can hold becomes null, or text.
    ({"datetime": 1e20, "size": -1, "width": True, "height": float("nan")},
     {"datetime": None, "size": None, "width": None, "height": None}),
    ({"title": ["a"], "description": 42, "type": {"x": 1}},
     {"title": None, "description": "42", "type": None}),
    ({"title": "caf\u00e9 \ud800"}, {"title": "caf\u00e9 ?"}),
])
def test_an_image_keeps_what_can_be_stored(fields: dict[str, Any],
                                           kept: dict[str, Any]) -> None:
    clean = validate.image({**IMAGE, **fields})
    assert {key: clean[key] for key in kept} == kept
    assert clean["id"] == IMAGE["id"]


def test_favorites_albums_conversations_and_messages() -> None:
    album = {"id": "Alb1234", "is_album": True, "images": None, "privacy": "0", "cover": ""}
    assert validate.favorite(album) == ("Alb1234", "album", album)
    assert validate.favorite(IMAGE)[:2] == ("AbC1234", "image")
    assert validate.conversation({"id": "188129", "with_account": 5})["id"] == 188129
    assert validate.conversation({"id": 188129, "with_account": 5})["with_account"] == "5"
    with pytest.raises(validate.BadItem, match="not a whole number"):
        validate.message({"id": "../x", "body": "hi"})
    with pytest.raises(validate.BadItem, match="where an object belongs"):
        validate.album("oops")


def test_a_page_must_be_a_list_and_bad_items_are_sorted_out() -> None:
    with pytest.raises(MalformedResponse, match=r"is a str \('oops'\), not a list"):
        validate.listing("oops", "3/account/me/images/0")
    good, bad = validate.sort_out([IMAGE, {"id": "x" * 5000}, None], validate.image)
    assert good == [IMAGE]
    assert [len(problem.item) < 60 for problem in bad] == [True, True]
    assert bad[1].ident is None
    assert str(bad[1]) == "image: Imgur sent nothing where an object belongs"
