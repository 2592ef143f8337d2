"""Media files as i.imgur.com serves them: ``/{id}.{ext}``, thumbnails, ``.mp4``, removed.png.

The sandbox's own host stands in for i.imgur.com, so ``link`` fields point here. Media
needs no Authorization and costs no API credits, but every download is counted
(``Counters.media_*``) so tests can prove a pull did not fetch what it already has.
"""

from __future__ import annotations

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from . import faults as fault_shapes
from . import media
from .media import image_bytes, thumbnail_bytes
from .routing import Ctx, route
from .state import THUMB_SUFFIXES, Image


def _resolve(ctx: Ctx, stem: str) -> tuple[Image | None, str]:
    """Split ``stem`` into (image, thumbnail suffix); the image is None when gone."""
    world = ctx.world
    with world.lock:
        image = world.images.get(stem)
        suffix = ""
        if image is None and len(stem) > 1 and stem[-1] in THUMB_SUFFIXES:
            image, suffix = world.images.get(stem[:-1]), stem[-1]
        if image is None or image.deleted or image.removed:
            return None, suffix
        return image, suffix


@route("/removed.png", "GET", "HEAD", auth="none", kind="media")
def removed(ctx: Ctx) -> Response:
    """Imgur's placeholder for media it has removed."""
    return _send(ctx, media.removed_png(), "image/png", "removed")


@route("/<name>", "GET", "HEAD", auth="none", kind="media")
def media_file(ctx: Ctx, name: str) -> Response:
    """Serve ``{id}.{ext}``, ``{id}{suffix}.{ext}``, ``.mp4``, ``.gifv`` and ``.m3u8``."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return Response("Not found", status=404, mimetype="text/plain")
    image, suffix = _resolve(ctx, stem)
    if image is None:
        # What i.imgur.com does for deleted and removed media (docs/IMGUR-API.md §Media).
        return redirect(f"{ctx.base}/removed.png", code=302)
    ext = ext.lower()
    if ext == "gifv":
        page = (f'<!DOCTYPE html><html><body><video autoplay loop muted>'
                f'<source src="{ctx.base}/{image.id}.mp4" type="video/mp4"></video></body></html>')
        return Response(page, mimetype="text/html")
    if ext == "m3u8":
        playlist = f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n{ctx.base}/{image.id}.mp4\n"
        return Response(playlist, mimetype="application/vnd.apple.mpegurl")
    if ext == "mp4" and image.animated and not image.mime.startswith("video/"):
        return _send(ctx, media.render_mp4_stub(image.media_seed), "video/mp4", image.id)
    if suffix and not image.mime.startswith("video/"):
        return _send(ctx, thumbnail_bytes(image, suffix), image.mime, image.id)
    return _send(ctx, image_bytes(image), image.mime, image.id)


def _send(ctx: Ctx, body: bytes, mimetype: str, image_id: str) -> Response:
    app = ctx.app
    n = app.fault_number("media")
    if (fault_shapes.is_library_agent(ctx.request.headers.get("User-Agent", ""))
            and app.strikes("library_agent", n)):
        return fault_shapes.refused_agent()
    if app.strikes("slow", n):
        app.sleep(app.faults.slow_seconds)
    with app.counters.lock:
        app.counters.media_requests += 1
        app.counters.media_by_image[image_id] += 1
    if app.strikes("truncated_media", n):
        with app.counters.lock:
            app.counters.media_bytes += len(body) // 2
        return fault_shapes.truncate(body, mimetype)
    with app.counters.lock:
        app.counters.media_bytes += len(body)
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=31536000"
    response.headers["Last-Modified"] = "Thu, 01 Jan 2015 00:00:00 GMT"
    return response
