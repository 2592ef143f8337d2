"""A long scripted session through the public client with every fault kind injected.

Every call must return the right answer (checked against the sandbox's own state) and no
exception may reach the caller; a token expiring mid-session is refreshed transparently.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from support import FakeClock

from imgur_sync.api import Imgur, Tokens
from imgur_sync.api.errors import BadRequest, NotFound
from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions
from imgur_sync.sandbox.faults import API_KINDS
from imgur_sync.sandbox.media import render_tiny_png

CALLS = 220


@pytest.mark.slow
def test_two_hundred_mixed_calls_survive_every_fault(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(
        page_size=4, favorites_page_size=3, token_lifetime=3600),
        faults=FaultPlan(rates=dict.fromkeys(API_KINDS, 0.1), seed=11, slow_seconds=0.01))
    tokens: list[Tokens] = []
    im = Imgur(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token, api_url=sb.url,
               on_token=tokens.append, clock=clock, sleep=clock.sleep, random=lambda: 0.5)
    world, user = sb.world, sb.username
    rng = random.Random(5)
    album = im.create_album("fault session", "made under fire")
    uploaded: list[str] = []
    done = {"read": 0, "list": 0, "upload": 0, "edit": 0}

    def read() -> None:
        image = rng.choice(world.images_of(user))
        got = im.get_image(image.id)
        assert (got.id, got.title, got.size) == (image.id, image.title, image.size)
        some = rng.choice(world.albums_of(user))
        assert [i.id for i in im.get_album(some.id).images] == some.image_ids

    def listing() -> None:
        me = im.get_user("me")
        which = rng.choice(["images", "albums", "favorites"])
        if which == "images":
            assert [i.id for i in me.get_images()] == [i.id for i in world.images_of(user)]
        elif which == "albums":
            assert [a.id for a in me.get_albums()] == [a.id for a in world.albums_of(user)]
        else:
            assert {f.id for f in me.get_favorites()} == {f.id for f in world.favorites_of(user)}

    def upload() -> None:
        path = tmp_path / f"u{len(uploaded)}.png"
        path.write_bytes(render_tiny_png(1000 + len(uploaded)))
        image = im.upload_image(str(path), title=path.stem, album=album.id)
        assert world.image(image.id).title == path.stem
        uploaded.append(image.id)

    def edit() -> None:
        if not uploaded:
            return upload()
        chosen = rng.sample(uploaded, k=min(2, len(uploaded)))
        rng.choice([album.remove_images, album.add_images])(chosen)
        expected = set(world.album(album.id).image_ids)
        album.set_images(uploaded)
        assert world.album(album.id).image_ids == uploaded, expected
        return None

    actions = {"read": read, "list": listing, "upload": upload, "edit": edit}
    for step in range(CALLS):
        if step == CALLS // 2:
            clock.now += 3601  # the access token expires mid-session
            refreshed_before = len(tokens)
        kind = rng.choices(list(actions), weights=[4, 2, 1, 2])[0]
        actions[kind]()
        done[kind] += 1

    assert sb.counters.requests >= 200 and all(done.values())
    assert sum(sb.counters.faults.values()) > 40  # the faults really happened
    assert set(sb.counters.faults) == set(API_KINDS)
    assert len(tokens) > refreshed_before  # the expiry was refreshed...
    assert world.token_for(tokens[-1].access_token) is not None  # ...and the callback has it
    assert im.access_token == tokens[-1].access_token


def test_not_found_and_bad_request_are_not_retried(demo: Sandbox, tmp_path: Path) -> None:
    demo.set_faults(FaultPlan())
    im = Imgur(demo.client_id, demo.client_secret, refresh_token=demo.refresh_token,
               api_url=demo.url)
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("these are words, not pixels")
    im.get_user("me").get_settings()  # signs in first, so only the two calls below count
    before = demo.counters.requests
    with pytest.raises(NotFound):
        im.get_album("nosuchalbum")
    with pytest.raises(BadRequest):
        im.upload_image(str(not_an_image))
    assert demo.counters.requests - before == 2  # one request each: no retries
