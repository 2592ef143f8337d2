"""The gallery's data as a script, and its config key (docs/ARCHITECTURE.md §Gallery)."""

from __future__ import annotations

import gc
import json
import re
import tracemalloc
from pathlib import Path
from urllib.parse import quote

import pytest

from imgur_sync.mirror import gallery
from imgur_sync.mirror.gallery import GALLERY_DIR, build_gallery, js_data
from imgur_sync.settings.config import ConfigError, load_config
from imgur_sync.store import Store

HOSTILE = ["</script><script>alert(1)</script>", "<!-- x", "a & b > c", "\u2028\u2029",
           "\ud800 lone surrogate", "🐱 \"quoted\" 'single'"]


def test_data_for_a_script_cannot_end_the_script_and_reads_back_the_same() -> None:
    text = js_data("GALLERY_INDEX", {"items": HOSTILE})
    assert text.startswith("window.GALLERY_INDEX = ") and text.endswith(";\n")
    body = text.removeprefix("window.GALLERY_INDEX = ").removesuffix(";\n")
    assert not set(body) & set("<>&\u2028\u2029")
    assert body.isascii()
    assert json.loads(body) == {"items": HOSTILE}


@pytest.mark.parametrize(("line", "expected"), [("", True), ("gallery = false\n", False),
                                                 ("gallery = true\n", True)])
def test_the_gallery_is_on_unless_turned_off(tmp_path: Path, line: str, expected: bool) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[imgur]\nclient_id = "abc"\n[mirror]\nroot = "/m"\n{line}')
    assert load_config(path, {"HOME": str(tmp_path)}).mirror.gallery is expected


def test_a_gallery_setting_that_is_no_boolean_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[imgur]\nclient_id = "abc"\n[mirror]\nroot = "/m"\ngallery = "yes"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, {"HOME": str(tmp_path)})
    [problem] = caught.value.problems
    assert "mirror.gallery" in problem and "gallery = true (no quotes)" in problem


def _account(store: Store, images: int) -> None:
    """An account of ``images`` images, newest first by id order, in albums of 50."""
    store.save_images(({"id": f"img{n:05d}", "title": f"Image {n}", "datetime": 1_000_000 - n,
                        "type": "image/png", "link": f"https://i.imgur.com/img{n:05d}.png"}
                       for n in range(images)), owned=True)
    for first in range(0, images, 50):
        album = f"alb{first:05d}"
        store.save_album({"id": album, "title": f"Album {first}", "datetime": 2_000_000 - first})
        last = min(first + 50, images)
        store.set_album_images(album, [f"img{n:05d}" for n in range(first, last)])


def _peak(tmp_path: Path, images: int, traced: bool = True) -> int:
    """The most memory Python held while the gallery of that account was built (measured
    by tests/test_gallery_memory.py in a fresh interpreter).

    The cyclic collector is off meanwhile: a collection inside the window changed the
    peak (2.8 MB instead of 1.0 MB for 200 images under ``pytest -s``). The build makes no
    reference cycles, so nothing of it lingers without the collector; if it made some, they
    would stay and count here."""
    root = tmp_path / f"mirror-{images}-{traced}"
    root.mkdir()
    with Store(None) as store:
        _account(store, images)
        gc.collect()
        gc.disable()
        if traced:
            tracemalloc.start()
        try:
            built = build_gallery(root, store, members_cursor="members:")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            gc.enable()
    assert built.written > images  # a page per image, and the lists
    return peak


def test_an_image_page_steps_through_each_list_it_is_in(tmp_path: Path) -> None:
    with Store(None) as store:
        _account(store, 120)
        store.set_album_images("alb00050", ["img00003", "img00070", "img00051"])
        store.save_favorites([("img00070", "image", {}), ("img00002", "image", {})], False)
        build_gallery(tmp_path, store, members_cursor="members:")
    page = (tmp_path / GALLERY_DIR / "image-img00070.html").read_text(encoding="utf-8")
    steps = dict(re.findall(r'<a data-context="([^"]+)"([^>]*)></a>', page))
    assert steps == {
        "images": ' data-prev="../.gallery/image-img00069.html"'
                  ' data-next="../.gallery/image-img00071.html"',
        "album-alb00050": ' data-prev="../.gallery/image-img00003.html"'
                          ' data-next="../.gallery/image-img00051.html"',
        "favorites": ' data-next="../.gallery/image-img00002.html"'}
    # The first list (the account's images) is the page's own step; albums are named.
    assert '<a rel="next" href="../.gallery/image-img00071.html">' in page
    assert '<a href="../.gallery/album-alb00050.html">Album 50</a>' in page


@pytest.mark.parametrize("path", ["images/a b [x1].png", "albums/100% #1?/x~y.gif", "a/é ñ/🐱.jpg",
                                  "plain/page-1.html", "", *HOSTILE[:3]])
def test_links_are_quoted_as_urllib_quotes_them(path: str) -> None:
    assert gallery._href(path) == quote(path, safe="/")
