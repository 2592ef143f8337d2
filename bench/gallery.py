"""Time the offline gallery of the sandbox's ``big`` account, and take the README's screenshot.

docs/ARCHITECTURE.md §Gallery. It pulls ``big --scale N`` (default 10: 10,000 images in 400
albums) into a temporary mirror with the gallery on, then reports:

- the gallery's size: files and bytes of ``index.html`` and ``.gallery/`` (pages, assets,
  search index; thumbnails apart);
- the gallery alone made from scratch (thumbnails downloaded, pages written), then an
  incremental rebuild of the unchanged account (pages written: 0 expected);
- in Chromium (the OS package, headless), from ``file://``: the index's DOMContentLoaded
  and load (every lazy thumbnail on screen loaded), and a first search (the search index
  loaded and results shown), each from the start of the navigation.

    python bench/gallery.py [--scale 10] [--keep DIR]
    python bench/gallery.py --open DIR/mirror [--word WORD]   # a kept mirror, no pull
    python bench/gallery.py --screenshot docs/gallery.png   # the demo's images, for the README
    python bench/gallery.py --memory 1,10,100 [--keep DIR]  # build_gallery's memory and time

``--memory`` pulls ``big --scale N`` for each N (gallery off; with ``--keep``, a pull kept
from a previous run is reused), then builds the gallery in a child process of its own, from
scratch and again unchanged (no thumbnails: no transport), and prints the child's peak RSS
(``VmHWM``), what it held before the build (imports and the store opened), and the
seconds of each build. Issue 16's target: the gallery adds a few MB at scale 100.

It prints figures and exits 0 whatever they are: the targets (usable in under 2 s, memory
flat in the account) are read, not asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from browser_support import chromium  # noqa: E402

from imgur_sync.api import Transport  # noqa: E402
from imgur_sync.mirror import Mirror  # noqa: E402
from imgur_sync.mirror.gallery import GALLERY_DIR, INDEX, THUMBS_DIR, build_gallery  # noqa: E402
from imgur_sync.mirror.pull import MEMBERS_CURSOR  # noqa: E402
from imgur_sync.sandbox import Sandbox, SandboxOptions  # noqa: E402
from imgur_sync.settings.config import load_config  # noqa: E402
from imgur_sync.store import Store  # noqa: E402


def pull(sb: Sandbox, folder: Path, gallery: bool = True) -> Mirror:
    """Pull the sandbox's account into ``folder/mirror``, with the gallery on or off."""
    config = folder / "config.toml"
    config.write_text(f'[imgur]\napi_url = "{sb.url}"\nclient_id = "{sb.client_id}"\n'
                      f'client_secret = "{sb.client_secret}"\n'
                      f'refresh_token = "{sb.refresh_token}"\n[mirror]\n'
                      f'root = "{folder / "mirror"}"\ngallery = {str(gallery).lower()}\n')
    transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                          api_url=sb.url)
    mirror = Mirror(load_config(config), Store(folder / "state.db"), transport)
    result = mirror.pull()
    if result.outcome != "ok":
        raise SystemExit(f"the pull was {result.outcome}: {result.problems[:3]}")
    return mirror


def gallery_size(root: Path) -> tuple[int, int, int, int]:
    """Files and bytes of the pages and assets, then of the thumbnails."""
    pages = [root / INDEX, *(p for p in (root / GALLERY_DIR).iterdir() if p.is_file())]
    thumbs = [p for p in (root / THUMBS_DIR).glob("*") if p.is_file()]  # none: no folder
    return (len(pages), sum(p.stat().st_size for p in pages),
            len(thumbs), sum(p.stat().st_size for p in thumbs))


def measure(root: Path, word: str) -> dict[str, float]:
    """Open the index in Chromium; milliseconds to DOMContentLoaded, load and a search."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        started = time.perf_counter()
        page.goto((root / INDEX).as_uri(), wait_until="load")
        loaded = (time.perf_counter() - started) * 1000
        timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
        page.fill("#search", word)
        page.wait_for_selector("#results:not([hidden]) .tile")
        searched = (time.perf_counter() - started) * 1000
        entry = json.loads(timing)
        return {"domcontentloaded": entry["domContentLoadedEventEnd"],
                "load": entry["loadEventEnd"], "wall_load": loaded, "wall_search": searched}


def screenshot(out: Path) -> None:
    """The demo account's gallery (its images), for the README."""
    with Sandbox("demo") as sb, tempfile.TemporaryDirectory() as tmp:
        mirror = pull(sb, Path(tmp))
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1000, "height": 640})
            page.goto((mirror.root / GALLERY_DIR / "images.html").as_uri(), wait_until="load")
            page.screenshot(path=str(out))
        mirror.store.close()
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def memory(scales: list[int], keep: Path | None) -> None:
    """Print build_gallery's peak RSS and time at each scale, each in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for scale in scales:
            folder = (keep or Path(tmp)) / f"big-{scale}"
            if not (folder / "state.db").is_file():
                folder.mkdir(parents=True, exist_ok=True)
                # Room for the whole walk within the sandbox's hour and day.
                options = SandboxOptions(user_limit=1_000_000, client_limit=1_000_000)
                with Sandbox("big", scale=scale, options=options) as sb:
                    pull(sb, folder, gallery=False).store.close()
            shutil.rmtree(folder / "mirror" / GALLERY_DIR, ignore_errors=True)
            (folder / "mirror" / INDEX).unlink(missing_ok=True)
            done = subprocess.run([sys.executable, __file__, "--child", str(folder)], check=True,
                                  capture_output=True, text=True)
            figures[scale] = json.loads(done.stdout.strip().splitlines()[-1])
            f = figures[scale]
            print(f"scale {scale:>3}: peak RSS {f['peak'] / 1e6:.0f} MB ({f['before'] / 1e6:.0f} "
                  f"MB before the build, so +{(f['peak'] - f['before']) / 1e6:.0f} MB); "
                  f"from scratch {f['scratch']:.1f} s ({f['written']} files), unchanged "
                  f"{f['unchanged']:.1f} s ({f['rewritten']} rewritten)", flush=True)
        first = figures[scales[0]]
        for scale in scales[1:]:
            print(f"scale {scale} / scale {scales[0]}: peak RSS "
                  f"{figures[scale]['peak'] / first['peak']:.2f} x")


def high_water() -> int:
    """This process's peak RSS in bytes (``VmHWM``: unlike ``ru_maxrss``, which Linux keeps
    across ``exec``, it does not start from the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(folder: Path) -> None:
    """Build the gallery of a pulled mirror twice; print one JSON line of figures."""
    store = Store(folder / "state.db")
    before = high_water()
    started = time.perf_counter()
    scratch = build_gallery(folder / "mirror", store, members_cursor=MEMBERS_CURSOR)
    middle = time.perf_counter()
    again = build_gallery(folder / "mirror", store, members_cursor=MEMBERS_CURSOR)
    print(json.dumps({"before": before, "scratch": middle - started,
                      "unchanged": time.perf_counter() - middle, "written": scratch.written,
                      "rewritten": again.written,
                      "peak": high_water()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="pull into DIR and leave it there")
    parser.add_argument("--screenshot", type=Path, help="write the demo's index as a PNG")
    parser.add_argument("--open", type=Path, metavar="ROOT",
                        help="only open the gallery of an existing mirror (e.g. a --keep one)")
    parser.add_argument("--word", default="Image", help="what --open searches for")
    parser.add_argument("--memory", metavar="SCALES",
                        help="build_gallery's peak RSS and time at these scales, e.g. 1,10,100")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.memory:
        memory([int(n) for n in args.memory.split(",")], args.keep)
        return
    if args.screenshot:
        screenshot(args.screenshot)
        return
    if args.open:
        files, size, thumbs, thumb_bytes = gallery_size(args.open)
        print(f"gallery: {files} files, {size / 1e6:.1f} MB; {thumbs} thumbnails")
        report(args.open, args.word)
        return
    with Sandbox("big", scale=args.scale) as sb, tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        mirror = pull(sb, folder)
        print(f"cold pull of big --scale {args.scale} with the gallery: "
              f"{time.perf_counter() - started:.1f} s")
        shutil.rmtree(mirror.root / GALLERY_DIR)
        (mirror.root / INDEX).unlink()
        started = time.perf_counter()
        scratch = mirror.refresh_gallery(thumbnails=True)
        assert scratch is not None
        print(f"the gallery alone, from scratch: {time.perf_counter() - started:.1f} s "
              f"({scratch.thumbnails} thumbnails downloaded, {scratch.written} files written)")
        started = time.perf_counter()
        again = mirror.refresh_gallery(thumbnails=True)
        assert again is not None
        print(f"rebuild of the unchanged account: {time.perf_counter() - started:.2f} s, "
              f"{again.written} written, {again.unchanged} unchanged")
        files, size, thumbs, thumb_bytes = gallery_size(mirror.root)
        print(f"gallery: {files} files, {size / 1e6:.1f} MB of pages, assets and search index;"
              f" {thumbs} thumbnails, {thumb_bytes / 1e6:.1f} MB")
        word = next(i.title for i in sb.world.images.values() if i.title).split()[0]
        report(mirror.root, word)
        mirror.store.close()


def report(root: Path, word: str) -> None:
    """Print three openings of the index in Chromium."""
    for run in (1, 2, 3):
        figures = measure(root, word)
        print(f"Chromium, run {run}: DOMContentLoaded {figures['domcontentloaded']:.0f} ms, "
              f"load {figures['load']:.0f} ms (wall {figures['wall_load']:.0f} ms), "
              f"first search for {word!r} shown {figures['wall_search']:.0f} ms")


if __name__ == "__main__":
    main()
