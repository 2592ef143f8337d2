"""The seed's examples, run as written against the sandbox (seeds/000_42707d7737f0eb76.txt).

``imgur_sync.api`` is imported as ``pyimgur`` so each example reads as in the doc. The only
changes: ``api_url=`` on every ``Imgur(...)``; the sandbox's client id, secret, ids and files
instead of the doc's placeholders; and, in "Authorization", ``requests`` visits the sandbox's
authorize page (which approves at once) where the doc has ``webbrowser.open`` and ``input``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

import imgur_sync.api as pyimgur
from imgur_sync.sandbox import Sandbox


def _gallery_image_by(sb: Sandbox, owner: str) -> Any:
    return next(i for i in sb.world.gallery_items()
                if getattr(i, "owner", None) == owner and i.id in sb.world.images)


def _visit(auth_url: str) -> requests.Response:
    """What the browser would do: the sandbox's authorize page approves as the demo user."""
    return requests.get(auth_url, allow_redirects=False, timeout=10)


def _pin_shown_on(auth_url: str) -> str:
    """Read the PIN the authorize page shows (the doc's ``input("What is the pin? ")``)."""
    match = re.search(r'<code id="pin">([^<]+)</code>', _visit(auth_url).text)
    assert match, "the authorize page shows no PIN"
    return match.group(1)


def _code_sent_to_callback(auth_url: str) -> str:
    """Read ``?code=`` from the redirect to the application's callback URL."""
    answer = _visit(auth_url)
    assert answer.status_code in (301, 302, 303, 307), answer.status_code
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def test_getting_started(demo: Sandbox) -> None:
    # Doc, "Getting Started".
    expected = demo.world.images_of(demo.username)[0]
    CLIENT_ID = demo.client_id
    im = pyimgur.Imgur(CLIENT_ID, api_url=demo.url)
    image = im.get_image(expected.id)
    print(image.title)  # Cat Ying & Yang
    print(image.link)  # http://imgur.com/S1jmapR.jpg

    assert image.title == expected.title
    assert image.link == f"{demo.url}/{expected.id}.{expected.ext}"


def test_uploading_an_image(demo: Sandbox, tmp_path: Path) -> None:
    # Doc, "Uploading an Image".
    source = demo.world.images_of(demo.username)[0]
    picture = tmp_path / "picture.png"
    picture.write_bytes(requests.get(f"{demo.url}/{source.id}.png", timeout=10).content)

    CLIENT_ID = demo.client_id
    PATH = str(picture)

    im = pyimgur.Imgur(CLIENT_ID, api_url=demo.url)
    uploaded_image = im.upload_image(PATH, title="Uploaded with PyImgur")
    print(uploaded_image.title)
    print(uploaded_image.link)
    print(uploaded_image.size)
    print(uploaded_image.type)

    assert uploaded_image.title == "Uploaded with PyImgur"
    assert uploaded_image.link == f"{demo.url}/{uploaded_image.id}.png"
    assert uploaded_image.size == picture.stat().st_size
    assert uploaded_image.type == "image/png"
    stored = demo.world.images[uploaded_image.id]
    assert stored.owner is None  # a Client-ID upload is anonymous
    assert stored.title == "Uploaded with PyImgur"


def test_lazy_objects(demo: Sandbox) -> None:
    # Doc, "Lazy objects"; 'JiAaT' becomes one of catlover's gallery images.
    expected = demo.world.account("catlover")
    gallery_id = _gallery_image_by(demo, "catlover").id

    CLIENT_ID = demo.client_id
    im = pyimgur.Imgur(CLIENT_ID, api_url=demo.url)
    gallery_image = im.get_gallery_image(gallery_id)
    author = gallery_image.author
    print(author._has_fetched)  # False ie. it's a lazily loaded object
    fetched_before = author._has_fetched
    print(author.reputation)
    print(author._has_fetched)  # True ie. all values have now been retrieved.

    assert fetched_before is False
    assert author.reputation == expected.reputation
    assert author._has_fetched is True


def _authorized_with_a_pin(demo: Sandbox) -> Any:
    # Doc, "Authorization", step one (pin) and step two.
    CLIENT_ID = demo.client_id
    CLIENT_SECRET = demo.client_secret  # Needed for step 2 and 3

    im = pyimgur.Imgur(CLIENT_ID, CLIENT_SECRET, api_url=demo.url)
    auth_url = im.authorization_url('pin')
    # webbrowser.open(auth_url); pin = input("What is the pin? ")
    pin = _pin_shown_on(auth_url)

    im.exchange_pin(pin)
    return im


def test_authorization_step_one_and_two_with_a_pin(demo: Sandbox) -> None:
    # Doc, "Authorization": steps one and two with response 'pin', then the album.
    im = _authorized_with_a_pin(demo)
    assert demo.world.token_for(im.access_token).username == demo.username
    assert im.refresh_token in demo.world.refresh_tokens

    album = im.create_album("An authorized album", "Cool stuff!")

    stored = demo.world.album(album.id)
    assert (stored.title, stored.description) == ("An authorized album", "Cool stuff!")
    assert stored.owner == demo.username  # "it will create an album belonging to that user"


def test_authorization_step_one_and_two_with_a_code(demo: Sandbox) -> None:
    # Doc, "Authorization": "If we had gotten a code ... we would have used exchange_code()".
    CLIENT_ID = demo.client_id
    CLIENT_SECRET = demo.client_secret

    im = pyimgur.Imgur(CLIENT_ID, CLIENT_SECRET, api_url=demo.url)
    auth_url = im.authorization_url('code')
    # The user is "redirected to your redirect url with the code as a get parameter".
    code = _code_sent_to_callback(auth_url)

    im.exchange_code(code)
    assert demo.world.token_for(im.access_token).username == demo.username

    album = im.create_album("An authorized album", "Cool stuff!")

    stored = demo.world.album(album.id)
    assert stored.owner == demo.username and stored.title == "An authorized album"


def test_authorization_step_three_refreshing_the_access_token(demo: Sandbox) -> None:
    # Doc, "Authorization", step three.
    im = _authorized_with_a_pin(demo)
    old_token = im.access_token

    im.refresh_access_token()

    assert im.access_token != old_token
    assert demo.world.token_for(im.access_token).username == demo.username
    assert im.create_album("After refreshing").id in {
        a.id for a in demo.world.albums_of(demo.username)}


@contextmanager
def _recording_front(sb: Sandbox) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Serve the sandbox's own app on a second port, noting every request's headers.

    No mocking: the client talks real HTTP to a real server that runs the sandbox app on the
    same world; the server only writes down the headers it received.
    """
    seen: list[dict[str, str]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen.append({k.lower(): v for k, v in Request(environ).headers.items()})
        return sb.app(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_mashape_api(demo: Sandbox) -> None:
    # Doc, "Mashape API". The sandbox keeps no request headers, so a recording front (see
    # above) shows what the client sent.
    expected = demo.world.images_of(demo.username)[0]
    with _recording_front(demo) as (front_url, seen):
        CLIENT_ID = demo.client_id
        MASHAPE_KEY = "sandbox-mashape-key"
        im = pyimgur.Imgur(CLIENT_ID, mashape_key=MASHAPE_KEY, api_url=front_url)

        image = im.get_image(expected.id)

    assert image.title == expected.title
    assert seen, "the client never reached the api_url it was given"
    headers = seen[-1]
    # docs/IMGUR-API.md §Auth: the Mashape/RapidAPI gateway wants X-Mashape-Key (RapidAPI also
    # takes X-RapidAPI-Key) on top of the usual Authorization header.
    assert MASHAPE_KEY in (headers.get("x-mashape-key"), headers.get("x-rapidapi-key")), headers
    assert headers.get("authorization") == f"Client-ID {CLIENT_ID}"
