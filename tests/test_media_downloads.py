"""Media downloads meet a hostile world: bodies that drip or never end, links to elsewhere.

A small hostile server on 127.0.0.1 (``hostile_media``) plays the media host where the
sandbox cannot; the pulls run against the real sandbox over HTTP.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from hostile_media import Drip, Flood, Redirect, hostile_media
from pull_support import ROOT, check_tree, id_of, write_config

from imgur_sync.api import MediaLimits, MediaRefused, MediaRemoved, RetryPolicy, Transport
from imgur_sync.api.media import trusted_media_url
from imgur_sync.mirror import Mirror, PullResult
from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import image_bytes
from imgur_sync.settings.config import load_config
from imgur_sync.store import Store

MARGIN = MediaLimits().margin


def media_transport(url: str, **limits: float) -> Transport:
    """A transport whose API (and so trusted media origin) is ``url``; one try per call."""
    return Transport("client", api_url=url, retry=RetryPolicy(1),
                     media_limits=MediaLimits(**limits))  # type: ignore[arg-type]


def download(transport: Transport, url: str, **kwargs: int) -> tuple[int, str]:
    """Download ``url`` to nowhere; return the bytes read and why it was refused ("" if not)."""
    read = 0
    try:
        with transport.open_media(url) as response:
            for chunk in response.iter_content(64 * 1024, **kwargs):
                read += len(chunk)
    except MediaRefused as exc:
        return read, str(exc)
    return read, ""


# -- a body that drips -------------------------------------------------------------------------


def test_a_body_that_drips_is_given_up_at_its_deadline() -> None:
    # 5000 bytes at a byte every 10 ms would take 50 s; the limits allow 0.3 s.
    with hostile_media(lambda path: Drip(5000, every=0.01)) as host:
        t = media_transport(host.url, min_time=0.3, min_rate=100_000)
        read, refused = download(t, f"{host.url}/drip.png")
    assert re.match(r"The download was too slow: \d+ bytes in 0\.3 s; the next pull tries "
                    "again", refused), refused
    assert 0 < read < 5000


# -- bodies longer than they should be ---------------------------------------------------------


@pytest.mark.parametrize("content_length", [50_000_000, None], ids=["declared", "undeclared"])
def test_a_body_longer_than_imgur_declared_is_not_read_on(content_length: int | None) -> None:
    # Imgur says 94 bytes; the host sends 50 MB, saying so or not.
    with hostile_media(lambda path: Flood(50_000_000, content_length)) as host:
        read, refused = download(media_transport(host.url), f"{host.url}/x.png", size=94)
    assert "than the 94 bytes Imgur declared" in refused
    assert read <= 94 + MARGIN


def test_a_body_of_unknown_size_stops_at_max_size() -> None:
    with hostile_media(lambda path: Flood(5_000_000)) as host:
        t = media_transport(host.url, max_size=100_000)
        read, refused = download(t, f"{host.url}/x.png")
        assert "longer than the 100000 bytes allowed for media of unknown size " \
               "(max_download_size)" in refused
        assert read <= 100_000
        # Within the limit, an undeclared length is read to its end.
        t = media_transport(host.url, max_size=6_000_000)
        assert download(t, f"{host.url}/x.png") == (5_000_000, "")


# -- links to elsewhere ------------------------------------------------------------------------


def test_media_is_fetched_only_from_imgur_or_the_api_origin() -> None:
    with hostile_media(lambda path: Flood(100, 100)) as elsewhere, \
            hostile_media(lambda path: Redirect(f"{elsewhere.url}/x.png")) as api:
        t = media_transport(api.url)
        for link in (f"{elsewhere.url}/x.png", f"{elsewhere.url.replace('127.0.0.1', 'localhost')}"
                     "/x.png", "file:///etc/passwd", "ftp://i.imgur.com/x.png",
                     "https://i.imgur.com:8443/x.png", "https://user:pw@i.imgur.com/x.png",
                     "https://evil.example/x.png", "/x.png", "", "http://[::1/x.png",
                     f"{api.url}/redirected.png"):
            with pytest.raises(MediaRefused, match="is neither an Imgur media host nor the "
                                                   "configured api_url, so it was not fetched"):
                t.open_media(link)
        assert elsewhere.hits == []  # not even the redirect's target was asked
        assert api.hits == ["/redirected.png"]


def test_a_redirect_to_removed_png_means_removed_on_any_host() -> None:
    with hostile_media(lambda path: Flood(100, 100)) as elsewhere, \
            hostile_media(lambda path: Redirect(f"{elsewhere.url}/removed.png")) as api:
        with pytest.raises(MediaRemoved):
            media_transport(api.url).open_media(f"{api.url}/gone.png")
        assert elsewhere.hits == []  # the placeholder is not even fetched


def test_imgur_media_links_are_fetched_over_https() -> None:
    api = frozenset({("http", "127.0.0.1", 8123)})
    assert trusted_media_url("http://i.imgur.com/abc1234.png", api) == \
        "https://i.imgur.com/abc1234.png"
    assert trusted_media_url("HTTPS://I.Imgur.COM:443/abc1234.gif?x=1#f", api) == \
        "https://i.imgur.com/abc1234.gif?x=1"
    assert trusted_media_url("https://i.imgur.io/abc1234.mp4", api) == \
        "https://i.imgur.io/abc1234.mp4"
    assert trusted_media_url("http://127.0.0.1:8123/abc1234.png", api) == \
        "http://127.0.0.1:8123/abc1234.png"


def _pull(sb: Sandbox, folder: Path, **mirror: str | int) -> tuple[PullResult, Store]:
    config = load_config(write_config(folder, sb, **mirror))
    transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                          api_url=sb.url)
    store = Store(folder / "state.db")
    return Mirror(config, store, transport).pull(), store


def test_a_pull_refuses_links_to_other_hosts_and_records_them(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    first, second, third, exe = (image.id for image in sb.world.images_of(sb.username)[:4])
    with hostile_media(lambda path: Flood(100, 100)) as elsewhere:
        bad = {first: f"{elsewhere.url}/{first}.png", second: "file:///etc/passwd",
               third: f"http://127.0.0.1:1/{third}.png"}
        for image_id, link in {**bad, exe: f"{sb.url}/{exe}.exe"}.items():
            requests.post(f"{sb.url}/__sandbox__/mutate/set_image_link", timeout=10,
                          json={"image_id": image_id, "link": link}).raise_for_status()
        result, store = _pull(sb, tmp_path)
        assert elsewhere.hits == []
    with store:
        assert result.outcome == "partial"
        # A file: link is no media link at all: the listing's check skips that image before
        # any download is planned; the other two are refused when their download starts.
        assert {id_of(Path(path).name) for path, _ in result.applied.failures} == {first, third}
        recorded = " ".join(f["item"] for f in store.open_failures())
        assert all(image_id in recorded for image_id in bad)
        assert all("neither an Imgur media host" in reason
                   for path, reason in result.applied.failures if "images/" in path)
        # The rest of the account is mirrored, the ".exe" link's image as the PNG it is.
        assert check_tree(tmp_path / "mirror", store, sb.world, sb.username,
                          skip=bad) == []
        [saved] = [p for p in (tmp_path / "mirror" / "images").glob(f"*{exe}*")
                   if p.suffix != ".xmp"]
        assert saved.suffix == ".png"
        assert saved.read_bytes() == image_bytes(sb.world.image(exe))


def test_a_pull_does_not_read_past_the_declared_size(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("empty")
    image = sb.world.add_image(sb.username, "big", media_kind="stored",
                               data=b"\x89PNG\r\n\x1a\n" + b"x" * 300_000)
    image.size = 94  # what Imgur says
    result, store = _pull(sb, tmp_path)
    with store:
        [(path, reason)] = result.applied.failures
        assert id_of(Path(path).name) == image.id
        assert "more than the 94 bytes Imgur declared" in reason
        # Refused on its length, once: not read to the end, again and again.
        assert sb.counters.media_requests == 1
        assert not list((tmp_path / "mirror").rglob(f"*{image.id}*"))


def test_max_download_size_caps_media_of_unknown_size(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("empty")
    big = sb.world.add_image(sb.username, "big", media_kind="stored",
                             data=b"\x89PNG\r\n\x1a\n" + b"x" * 300_000)
    small = sb.world.add_image(sb.username, "small", media_kind="stored",
                               data=b"\x89PNG\r\n\x1a\n" + b"x" * 1000)
    big.size = small.size = 0  # as Imgur sends for some videos: not known
    write_config(tmp_path, sb, max_download_size="100kB")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(IMGUR_SYNC_CONFIG=str(tmp_path / "config.toml"), PYTHONPATH=str(ROOT),
               XDG_STATE_HOME=str(tmp_path / "state"))
    done = subprocess.run([sys.executable, "-m", "imgur_sync", "pull"], env=env, text=True,
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 3, done.stderr  # finished, some items failed
    assert "100000 bytes allowed for media of unknown size (max_download_size)" in (
        done.stdout + done.stderr)
    assert not list((tmp_path / "mirror").rglob(f"*{big.id}*"))
    [saved] = [p for p in (tmp_path / "mirror" / "images").glob(f"*{small.id}*")
               if p.suffix != ".xmp"]
    assert saved.stat().st_size == 1008
