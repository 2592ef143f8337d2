"""The offline gallery (docs/ARCHITECTURE.md §Gallery): pulled from the sandbox, opened in Chromium.

The browser tests drive the Chromium of the OS package through Playwright from ``file://``:
everything of the account must be reachable, no request may leave ``file://``, and the
hostile scenario's titles must show as text and run nothing. Screenshots go to tmp_path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from browser_support import chromium, missing_reason
from pull_support import check_records, cli_env, run_cli, write_config

from imgur_sync.api import Transport
from imgur_sync.mirror import Mirror, gallery
from imgur_sync.mirror.gallery import GALLERY_DIR, INDEX, PER_PAGE, THUMBS_DIR, build_gallery
from imgur_sync.mirror.pull import MEMBERS_CURSOR
from imgur_sync.mirror.verify import verify
from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import render_mp4_stub
from imgur_sync.sandbox.seeds import HOSTILE_MARKUP
from imgur_sync.settings.config import Config, load_config
from imgur_sync.store import Store

# Counts what would betray a script from data: dialogs are caught by a handler, and the
# CSP's violation events say an inline script or handler reached the page at all.
HOOKS = """
window.__pwned = 0;
window.__violations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


class Pulled:
    """A sandbox account pulled into ``root`` with the gallery on."""

    def __init__(self, sb: Sandbox, folder: Path) -> None:
        self.sb = sb
        self.config: Config = load_config(write_config(folder, sb, gallery=True))
        self.db = folder / "state.db"
        self.store = Store(self.db)
        self.transport = Transport(sb.client_id, sb.client_secret,
                                   refresh_token=sb.refresh_token, api_url=sb.url)

    @property
    def root(self) -> Path:
        return self.config.mirror.root

    def mirror(self) -> Mirror:
        return Mirror(self.config, self.store, self.transport)


@pytest.fixture
def pulled(start_sandbox: Callable[..., Sandbox], tmp_path: Path
           ) -> Iterator[Callable[..., Pulled]]:
    made: list[Pulled] = []

    def make(scenario: str, prepare: Callable[[Sandbox], None] = lambda sb: None) -> Pulled:
        sb = start_sandbox(scenario)
        prepare(sb)
        rig = Pulled(sb, tmp_path)
        result = rig.mirror().pull()
        assert result.outcome == "ok", result.problems
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with chromium() as launched:
        yield launched


class Visit:
    """One browser page with every request, dialog and console message recorded."""

    def __init__(self, browser: Any, shots: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1100, "height": 760})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.shots = shots
        self.page.add_init_script(HOOKS)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: self.console.append(message.text))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def links(self) -> list[str]:
        return self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")

    def text(self, selector: str) -> str:
        return self.page.eval_on_selector(selector, "node => node.textContent")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, tmp_path: Path) -> Iterator[Visit]:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    opened = Visit(browser, shots)
    yield opened
    opened.close()


def crawl(visit: Visit, root: Path) -> dict[str, str]:
    """Open every gallery page reachable from the index; return page name -> its text."""
    start = (root / INDEX).as_uri()
    todo, seen, texts = [start], {start}, {}
    while todo:
        url = todo.pop()
        visit.open(url)
        texts[Path(unquote(urlsplit(url).path)).name] = visit.text("body")
        assert visit.page.evaluate("window.__pwned") == 0
        for link in visit.links():
            target = link.split("#")[0]
            if target.startswith("file://") and target.endswith(".html") and target not in seen:
                seen.add(target)
                todo.append(target)
    return texts


def _mp4_clip(sb: Sandbox) -> None:
    clip = render_mp4_stub(7)
    sb.world.add_image(sb.username, "A short clip", media_kind="stored", data=clip,
                       mime="video/mp4", animated=True)


@pytest.mark.slow
def test_the_demo_gallery_opens_offline_and_reaches_everything(
        pulled: Callable[..., Pulled], visit: Visit) -> None:
    rig = pulled("demo", _mp4_clip)
    world, me = rig.sb.world, rig.sb.username
    pages = crawl(visit, rig.root)

    for album in world.albums_of(me):
        assert f"album-{album.id}.html" in pages, album.title
    for image in world.images_of(me):
        assert f"image-{image.id}.html" in pages, image.title
    for item in world.favorites_of(me) + world.favorites_of(me, gallery_only=True):
        kind = "album" if hasattr(item, "image_ids") else "image"
        assert f"{kind}-{item.id}.html" in pages, item.title
    for conversation in world.conversations_of(me):
        text = pages[f"conversation-{conversation.id}.html"]
        assert all(message.body in text for message in conversation.messages)
    assert not [url for url in visit.requests if not url.startswith("file://")]
    assert not visit.dialogs

    # The index shows the albums as covers with their counts, thumbnails lazily loaded.
    visit.open((rig.root / INDEX).as_uri())
    visit.shot("index")
    album = next(a for a in world.albums_of(me) if len(a.image_ids) >= 3)
    tile = visit.page.locator(f"a[href$='album-{album.id}.html']")
    assert f"{len(album.image_ids)} images" in tile.inner_text()
    sources = visit.page.eval_on_selector_all("main img", "i => i.map(x => [x.loading, x.src])")
    assert sources and all(lazy == "lazy" and "/.gallery/thumbs/" in src
                           for lazy, src in sources)
    visit.page.wait_for_function(
        "[...document.images].every(i => i.complete && i.naturalWidth > 0)")

    # An album in its order; an image; next and previous with the keyboard.
    tile.click()
    visit.page.wait_for_load_state("load")
    visit.shot("album")
    shown = visit.page.eval_on_selector_all(
        "main .tile a", "links => links.map(a => a.getAttribute('href'))")
    assert [re.search(r"image-(\w+)\.html", h).group(1) for h in shown] == album.image_ids
    visit.page.locator("main .tile a").nth(1).click()
    visit.page.wait_for_load_state("load")
    assert visit.text("h1") == (world.images[album.image_ids[1]].title or album.image_ids[1])
    visit.shot("image")
    visit.page.keyboard.press("ArrowRight")
    visit.page.wait_for_url(f"**/image-{album.image_ids[2]}.html#album-{album.id}")
    visit.page.keyboard.press("ArrowLeft")
    visit.page.wait_for_url(f"**/image-{album.image_ids[1]}.html#album-{album.id}")
    facts = visit.text(".facts")
    assert album.title in facts and f"imgur.com/{album.image_ids[1]}" in facts

    # Animated images play from the mirrored file: a GIF as an image, an MP4 as a video.
    gif = next(i for i in world.images_of(me) if i.mime == "image/gif")
    visit.open((rig.root / GALLERY_DIR / f"image-{gif.id}.html").as_uri())
    assert visit.page.eval_on_selector(".media img", "i => i.naturalWidth") > 0
    assert visit.page.eval_on_selector(".media img", "i => i.src").endswith(".gif")
    clip = next(i for i in world.images_of(me) if i.mime == "video/mp4")
    visit.open((rig.root / GALLERY_DIR / f"image-{clip.id}.html").as_uri())
    video = visit.page.eval_on_selector(".media video", "v => [v.src, v.autoplay, v.loop]")
    assert video[0].endswith(".mp4") and video[1:] == [True, True]
    assert Path(unquote(urlsplit(video[0]).path)).is_file()

    # Favorites, a conversation, a search.
    visit.open((rig.root / INDEX).as_uri())
    visit.page.get_by_role("link", name="Favorites", exact=True).click()
    visit.page.wait_for_load_state("load")
    visit.shot("favorites")
    favorites = visit.links()
    assert all(any(f"-{item.id}.html" in link for link in favorites)
               for item in world.favorites_of(me))
    visit.page.get_by_role("link", name="Messages", exact=True).click()
    visit.page.wait_for_load_state("load")
    conversation = world.conversations_of(me)[0]
    visit.page.locator(f"a[href$='conversation-{conversation.id}.html']").click()
    visit.page.wait_for_load_state("load")
    assert conversation.messages[0].body in visit.text("main")
    visit.shot("conversation")
    wanted = world.images[album.image_ids[0]]
    word = (wanted.title or "").split()[0]
    visit.page.fill("#search", word.upper())
    visit.page.wait_for_selector("#results:not([hidden]) .tile")
    visit.shot("search")
    assert wanted.title in visit.text("#results")
    assert visit.page.is_hidden("main")
    visit.page.fill("#search", "")
    assert visit.page.is_visible("main")

    assert not [url for url in visit.requests if not url.startswith("file://")]
    assert not visit.dialogs
    assert not visit.page.evaluate("window.__violations")


@pytest.mark.slow
def test_hostile_titles_show_as_text_and_run_nothing(pulled: Callable[..., Pulled],
                                                     visit: Visit) -> None:
    rig = pulled("hostile")
    world, me = rig.sb.world, rig.sb.username
    pages = crawl(visit, rig.root)
    assert not visit.dialogs and not [c for c in visit.console if "Security Policy" in c]

    images = {image.title: image.id for image in world.images_of(me)}
    albums = {album.title: album.id for album in world.albums_of(me)}
    for title in HOSTILE_MARKUP:
        visit.open((rig.root / GALLERY_DIR / f"image-{images[title]}.html").as_uri())
        assert visit.text(".facts h1") == title
        assert title in visit.text(".facts .description")
        assert visit.page.title().startswith(title)
        visit.open((rig.root / GALLERY_DIR / f"album-{albums[title]}.html").as_uri())
        assert visit.text("main h1") == title
        assert visit.page.evaluate("window.__pwned") == 0
        assert not visit.page.evaluate("window.__violations")
        assert visit.page.locator("main svg, main iframe, main b, main script").count() == 0
    visit.shot("hostile-album")
    [conversation] = world.conversations_of(me)
    body = pages[f"conversation-{conversation.id}.html"]
    assert all(message.body in body for message in conversation.messages)

    # The search index is data too: a title that closes a script stays in its string.
    visit.open((rig.root / INDEX).as_uri())
    visit.page.fill("#search", "onerror")
    visit.page.wait_for_selector("#results:not([hidden]) .tile")
    visit.shot("hostile-search")
    assert "<img src=x onerror=alert(1)>" in visit.text("#results")
    assert visit.page.evaluate("window.__pwned") == 0
    assert not visit.page.evaluate("window.__violations")
    assert not visit.dialogs
    assert not [url for url in visit.requests if not url.startswith("file://")]


def test_an_inline_script_in_a_page_is_blocked(pulled: Callable[..., Pulled], browser: Any,
                                               tmp_path: Path) -> None:
    """The CSP itself holds under file://: a script smuggled into a page does not run."""
    rig = pulled("demo")
    page_path = rig.root / INDEX
    html = page_path.read_text(encoding="utf-8")
    page_path.write_text(html.replace("<main>", "<main><script>window.__pwned = 1</script>"
                                      "<img src=x onerror='window.__pwned = 2'>"),
                         encoding="utf-8")
    opened = Visit(browser, tmp_path)
    try:
        opened.open(page_path.as_uri())
        # Both the script and the handler are reported blocked, and neither ran.
        opened.page.wait_for_function("window.__violations.length >= 2")
        assert opened.page.evaluate("window.__pwned") == 0
        assert len(opened.page.evaluate("window.__violations")) == 2
        # The gallery's own script still runs: the search box works.
        opened.page.fill("#search", "cat")
        opened.page.wait_for_selector("#results:not([hidden])")
    finally:
        opened.close()


def test_search_reads_an_index_of_several_shards(pulled: Callable[..., Pulled], visit: Visit,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    rig = pulled("demo")
    monkeypatch.setattr(gallery, "SHARD_SIZE", 4)
    built = build_gallery(rig.root, rig.store, members_cursor=MEMBERS_CURSOR)
    shards = sorted((rig.root / GALLERY_DIR).glob("search-index-*.js"),
                    key=lambda p: int(p.stem.rpartition("-")[2]))
    items = [_shard(p) for p in shards]
    assert len(shards) > 2 and all(len(i) == 4 for i in items[:-1]) and 0 < len(items[-1]) <= 4
    world, me = rig.sb.world, rig.sb.username
    assert {f"image-{i.id}.html" for i in world.images_of(me)} <= \
        {item[3].rpartition("/")[2] for shard in items for item in shard}
    assert _shard(rig.root / GALLERY_DIR / "search-index.js", "") == len(shards)
    assert built.removed == 0  # a single shard was there: shard 1, now rewritten
    # An image of the last shard (newest first: the oldest) is found there.
    title, page = next((i[1], i[3]) for i in reversed(items[-1]) if i[0] == "image" and i[1])
    visit.open((rig.root / INDEX).as_uri())
    visit.page.fill("#search", title)
    visit.page.wait_for_selector("#results:not([hidden]) .tile")
    assert title in visit.text("#results")
    assert visit.page.locator(f"#results a[href$='{page.rpartition('/')[2]}']").count() == 1
    assert not [url for url in visit.requests if not url.startswith("file://")]
    assert not visit.page.evaluate("window.__violations")

    # Fewer shards next time: the ones no longer made go.
    monkeypatch.setattr(gallery, "SHARD_SIZE", 5000)
    again = build_gallery(rig.root, rig.store, members_cursor=MEMBERS_CURSOR)
    assert again.removed == len(shards) - 1
    assert [p.name for p in (rig.root / GALLERY_DIR).glob("search-index-*.js")] == \
        ["search-index-1.js"]


def test_pages_are_written_once_and_rebuilt_byte_for_byte(pulled: Callable[..., Pulled]
                                                          ) -> None:
    rig = pulled("demo")
    counters, world, me = rig.sb.counters, rig.sb.world, rig.sb.username
    images = {i.id for i in world.images_of(me)}
    # One thumbnail request per image: the first pull downloaded each original and its
    # thumbnail, nothing else.
    assert all(counters.media_by_image[i] == 2 for i in images)
    gallery = rig.root / GALLERY_DIR
    assert {p.stem for p in (gallery / "thumbs").iterdir()} >= images
    before = _snapshot(rig.root)
    media = counters.media_requests

    again = rig.mirror().pull()
    assert again.outcome == "ok"
    assert counters.media_requests == media
    assert _snapshot(rig.root) == before  # same bytes, same inodes, same mtimes
    built = build_gallery(rig.root, rig.store, members_cursor=MEMBERS_CURSOR)
    assert built.written == 0 and built.removed == 0 and built.unchanged == built.files

    # Pages rebuilt from scratch are the same bytes: nothing in them depends on when.
    for path in [rig.root / INDEX, *gallery.glob("*.*")]:
        path.unlink()
    rebuilt = build_gallery(rig.root, rig.store, members_cursor=MEMBERS_CURSOR)
    assert rebuilt.written == built.files
    assert {k: v[0] for k, v in _snapshot(rig.root).items()} == \
        {k: v[0] for k, v in before.items()}

    # The gallery is nothing verify looks at, and nothing the pull records.
    assert verify(rig.root, rig.store, repair=False).ok
    assert check_records(rig.root, rig.store) == []
    assert not any(row["path"].startswith((INDEX, GALLERY_DIR))
                   for row in rig.store.iter_files())

    # A lost database: the next pull downloads nothing (thumbnails included) and writes
    # the same gallery, byte for byte, without touching a page.
    settled = _snapshot(rig.root)
    rig.store.close()
    for path in rig.db.parent.glob(rig.db.name + "*"):
        path.unlink()
    rig.store = Store(rig.db)
    assert rig.mirror().pull().outcome == "ok"
    assert counters.media_requests == media
    assert _snapshot(rig.root) == settled


def test_a_quick_pull_builds_the_gallery_only_when_what_it_shows_changed(
        pulled: Callable[..., Pulled]) -> None:
    rig = pulled("demo")
    assert rig.mirror().pull().gallery is None  # nothing changed: 0 pages looked at
    kitten = next(i for i in rig.sb.world.images_of(rig.sb.username)
                  if i.title == "Kitten in a teacup")
    rig.sb.world.retitle_image(kitten.id, "Kitten, renamed")
    changed = rig.mirror().pull()
    assert changed.outcome == "ok" and changed.gallery is not None
    assert changed.gallery.written >= 1
    page = next((rig.root / GALLERY_DIR).glob(f"*{kitten.id}*.html"))
    assert "Kitten, renamed" in page.read_text()
    assert rig.mirror().pull().gallery is None
    full = rig.mirror().pull(full=True)  # a full pull builds it whatever the marks say
    assert full.gallery is not None and full.gallery.written == 0


def _shard(path: Path, number: str | None = None) -> Any:
    """A search index script's data: a shard's items, or (``number=""``) how many shards."""
    name = "GALLERY_INDEX" + ("" if number == "" else "_" + path.stem.rpartition("-")[2])
    text = path.read_text(encoding="ascii")
    value = json.loads(text.removeprefix(f"window.{name} = ").removesuffix(";\n"))
    return value["shards"] if number == "" else value["items"]


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """The gallery's files: bytes, inode and mtime."""
    files = [root / INDEX, *(root / GALLERY_DIR).rglob("*")]
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_ino,
                                             p.stat().st_mtime_ns)
            for p in files if p.is_file()}


def test_large_lists_are_paged_and_stale_pages_go(pulled: Callable[..., Pulled]) -> None:
    def many(sb: Sandbox) -> None:
        for n in range(PER_PAGE + 5):
            sb.world.add_image(sb.username, f"Extra {n}")

    rig = pulled("demo", many)
    gallery = rig.root / GALLERY_DIR
    page_one = (gallery / "images.html").read_text(encoding="utf-8")
    page_two = (gallery / "images-2.html").read_text(encoding="utf-8")
    assert page_one.count('class="tile"') == PER_PAGE
    assert 'rel="next" href="../.gallery/images-2.html"' in page_one
    assert page_two.count('class="tile"') == len(rig.sb.world.images_of(rig.sb.username)) \
        - PER_PAGE
    assert page_one.count('loading="lazy"') == PER_PAGE
    (gallery / "album-gone.html").write_text("left by an album removed since")
    built = rig.mirror().refresh_gallery()
    assert built is not None and built.removed == 1 and built.written == 0
    assert not (gallery / "album-gone.html").exists()


def test_a_gallery_that_cannot_be_written_does_not_fail_the_pull(
        pulled: Callable[..., Pulled]) -> None:
    rig = pulled("demo")
    index = rig.root / INDEX
    index.unlink()
    index.write_text("<p>my own index</p>")  # not ours: left alone, and said
    rig.sb.world.add_image(rig.sb.username, "After the index")
    result = rig.mirror().pull()
    assert result.outcome == "partial"
    assert any("was not written by imgur-sync" in p for p in result.problems)
    assert index.read_text() == "<p>my own index</p>"
    assert any("After the index" in p.name for p in (rig.root / "images").iterdir())
    failures = [f for f in rig.store.open_failures() if f["kind"] == "gallery"]
    assert len(failures) == 1
    index.unlink()
    assert rig.mirror().pull().outcome == "ok"
    assert index.is_file()
    assert not [f for f in rig.store.open_failures() if f["kind"] == "gallery"]


def test_the_gallery_command_rebuilds_it(start_sandbox: Callable[..., Sandbox],
                                         tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    config = write_config(tmp_path, sb, gallery=True)
    env = cli_env(tmp_path, config)
    assert run_cli(env, "pull").returncode == 0
    index = tmp_path / "mirror" / INDEX
    (tmp_path / "mirror" / GALLERY_DIR / "images.html").unlink()
    done = run_cli(env, "gallery")
    assert done.returncode == 0, done.stderr
    assert index.as_uri() in done.stdout and "1 file(s) written" in done.stdout
    assert (tmp_path / "mirror" / GALLERY_DIR / "images.html").is_file()
    quiet = run_cli(env, "gallery", "-q")
    assert (quiet.returncode, quiet.stdout) == (0, "")
    # verify --repair brings it back too (a verify without --repair leaves it).
    (tmp_path / "mirror" / GALLERY_DIR / "images.html").unlink()
    assert run_cli(env, "verify").returncode == 0
    assert not (tmp_path / "mirror" / GALLERY_DIR / "images.html").exists()
    assert run_cli(env, "verify", "--repair").returncode == 0
    assert (tmp_path / "mirror" / GALLERY_DIR / "images.html").is_file()
    # Off in the config: the command says how to turn it on; a pull writes no gallery.
    config.write_text(config.read_text().replace("gallery = true", "gallery = false"))
    refused = run_cli(env, "gallery")
    assert refused.returncode == 2 and "[mirror] gallery is false" in refused.stderr


def test_a_tile_without_its_thumbnail_shows_the_file_until_a_pull_fetches_it(
        pulled: Callable[..., Pulled]) -> None:
    rig = pulled("demo")
    image = next(i for i in rig.sb.world.images_of(rig.sb.username) if i.title)
    [thumb] = (rig.root / THUMBS_DIR).glob(f"{image.id}.*")
    thumb.unlink()
    [original] = [row["path"] for row in rig.store.iter_files("image", image_id=image.id)]

    def tile() -> str:
        page = (rig.root / GALLERY_DIR / "images.html").read_text(encoding="utf-8")
        [found] = [t for t in page.split('<li class="tile">') if f"image-{image.id}.html" in t]
        return found

    # An upload's take-in fetches nothing: the tile shows the mirrored file meanwhile.
    assert rig.mirror().refresh_gallery() is not None
    assert f'src="../{quote(original)}"' in tile()
    before = rig.sb.counters.media_by_image[image.id]
    assert rig.mirror().pull().outcome == "ok"
    assert rig.sb.counters.media_by_image[image.id] == before + 1  # the thumbnail, once
    assert f'src="../{THUMBS_DIR}/{thumb.name}"' in tile()
