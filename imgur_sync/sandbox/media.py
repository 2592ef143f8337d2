"""Deterministic stdlib-only media for the Imgur sandbox: PNG/GIF/MP4 rendering and sniffing."""

from __future__ import annotations

import colorsys
import hashlib
import operator
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from math import isqrt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only its fields are read
    from .state import Image

_PNG_SIG = b"\x89PNG\r\n\x1a\n"

# 5x7 bitmap font. Each 8-char record is the character followed by its 7 rows, one base-32
# digit per row whose 5 bits are the pixels (MSB = leftmost). Text keeps the table compact.
_FONT_DATA = (
    "AehhhvhhBuhhuhhuCehgggheDsihhhisEvgguggvFvggugggGehgnhhfHhhhvhhhIe44444eJ72222icKhikokih"
    "LggggggvMhrllhhhNhhpljhhOehhhhhePuhhugggQehhhlidRuhhukihSfgge11uTv444444UhhhhhheVhhhhha4"
    "WhhhlllaXhha4ahhYhhha444Zv1248gv0ehjlphe14c4444e2eh1248v3v2421he426aiv225vgu11he668guhhe"
    "7v1248888ehhehhe9ehhf12c 0000000.00000cc,0000c48-000v000_000000v:0cc0cc0!4444404?eh12404"
    "'c480000/01248g0#aavavaa(2488842)8422248+044v440=00v0v00"
)
_FONT = {_FONT_DATA[i]: _FONT_DATA[i + 1 : i + 8] for i in range(0, len(_FONT_DATA), 8)}
_BOX = "vhhhhhv"  # drawn for characters the font lacks, so a label never silently loses them

# Refuse absurd sizes early: the sandbox should fail loudly, not eat gigabytes of RAM.
_MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class MediaInfo:
    """What sniff() learned from a file's leading bytes."""

    mime: str
    ext: str
    width: int
    height: int
    animated: bool
    is_video: bool


def _rng(seed: int) -> random.Random:
    """A seeded PRNG whose random() stream is stable across Python versions."""
    # Seeding with a str (sha512-based) keeps negative seeds distinct from positive ones,
    # which an int seed would not (Random uses abs()); only .random() is used because its
    # sequence is the one CPython guarantees not to change.
    return random.Random(f"imgur-sync-media:{seed}")


def _rgb(h: float, s: float, v: float) -> bytes:
    """One RGB pixel from HSV components in 0..1 (hue wraps)."""
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return bytes((round(r * 255), round(g * 255), round(b * 255)))


def _check_size(width: int, height: int) -> None:
    """Reject sizes a PNG/GIF cannot hold or that would exhaust memory."""
    if width < 1 or height < 1 or width * height > _MAX_PIXELS:
        raise ValueError(f"bad image size {width}x{height}")


def _chunk(tag: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC over type+data."""
    crc = zlib.crc32(body, zlib.crc32(tag))
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)


_IEND = _chunk(b"IEND", b"")


def _encode_png(width: int, height: int, raw: bytes) -> bytes:
    """Wrap already-filtered scanlines (8-bit RGB) into a complete PNG."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _PNG_SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _IEND


def _fill_rect(rows: list[bytearray], x0: int, y0: int, x1: int, y1: int, color: bytes) -> None:
    """Paint [x0, x1) x [y0, y1), clipped, with whole-slice writes instead of per-pixel ones."""
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, len(rows[0]) // 3), min(y1, len(rows))
    if x0 >= x1:
        return
    seg = color * (x1 - x0)
    for y in range(y0, y1):
        rows[y][x0 * 3 : x1 * 3] = seg


def _fill_circle(rows: list[bytearray], cx: int, cy: int, r: int, color: bytes) -> None:
    """Paint a filled disc one horizontal span per row."""
    for dy in range(-r, r + 1):
        half = isqrt(r * r - dy * dy)
        _fill_rect(rows, cx - half, cy + dy, cx + half + 1, cy + dy + 1, color)


def _draw_label(rows: list[bytearray], hue: float, label: str) -> None:
    """Draw label centred in the image, scaled-up 5x7 glyphs on a dark plate."""
    width, height = len(rows[0]) // 3, len(rows)
    glyphs = [_FONT.get(ch, _BOX) for ch in label.upper()]
    units = 6 * len(glyphs) - 1  # 5 columns per glyph + 1 column gap, no trailing gap
    # +2 / 9 units leave room for the one-unit plate border on each side.
    scale = max(1, min((width - 2) // (units + 2), (height * 3 // 5) // 9))
    tw, th = units * scale, 7 * scale
    x0, y0 = (width - tw) // 2, (height - th) // 2
    # The plate guarantees contrast wherever the random shapes happened to land.
    _fill_rect(rows, x0 - scale, y0 - scale, x0 + tw + scale, y0 + th + scale, _rgb(hue, 0.6, 0.15))
    ink = _rgb(hue + 0.5, 0.15, 1.0)
    for gy in range(7):
        top = y0 + gy * scale
        for i, glyph in enumerate(glyphs):
            bits = int(glyph[gy], 32)
            for gx in range(5):  # one scale x scale block per lit font pixel
                if bits >> (4 - gx) & 1:
                    left = x0 + (6 * i + gx) * scale
                    _fill_rect(rows, left, top, left + scale, top + scale, ink)


def render_png(seed: int, width: int, height: int, label: str = "") -> bytes:
    """Render a deterministic, visibly seed-specific RGB PNG, optionally with readable text."""
    _check_size(width, height)
    rng = _rng(seed)
    hue = rng.random()
    # One horizontal gradient row; each image row is a darkened copy made by bytes.translate
    # (C speed), so no Python code runs per pixel over the big area.
    fracs = [x / width for x in range(width)]
    base = b"".join(_rgb(hue + 0.18 * f, 0.35 + 0.45 * f, 1.0) for f in fracs)
    levels = min(height, 48)
    tables: dict[int, bytes] = {}
    rows: list[bytearray] = []
    for y in range(height):
        lvl = y * levels // height
        if lvl not in tables:
            f = 255 - 120 * lvl // max(1, levels - 1)
            tables[lvl] = bytes(v * f // 255 for v in range(256))
        rows.append(bytearray(base.translate(tables[lvl])))
    m = min(width, height)
    for _ in range(3 + int(rng.random() * 4)):
        h, sat, val = rng.random(), rng.random(), rng.random()
        color = _rgb(hue + 0.25 + 0.5 * h, 0.6 + 0.4 * sat, 0.5 + 0.5 * val)
        cx, cy = int(rng.random() * width), int(rng.random() * height)
        size = max(1, int(m * (0.06 + 0.14 * rng.random())))
        if rng.random() < 0.5:
            _fill_circle(rows, cx, cy, size, color)
        else:
            tall = max(1, int(size * (0.4 + 1.2 * rng.random())))
            _fill_rect(rows, cx - size, cy - tall, cx + size, cy + tall, color)
    if label:
        _draw_label(rows, hue, label)
    # Filter type 0 on every row: trivial to emit, and the gradient still deflates well.
    return _encode_png(width, height, b"\x00" + b"\x00".join(rows))


_TINY_IHDR = _chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
# zlib header + one stored (uncompressed) deflate block of 8 * 25 bytes: skips the compressor
# (speed) and keeps the bytes identical on every zlib build, so hashes are stable everywhere.
_TINY_ZHEAD = b"\x78\x01\x01" + struct.pack("<HH", 200, 200 ^ 0xFFFF)


def render_tiny_png(seed: int) -> bytes:
    """Render an 8x8 PNG whose bytes are unique per seed (modulo 2**192)."""
    # The last row carries the seed itself, so distinct seeds give distinct pixels (and
    # hashes); the four quadrant colours come from a hash of it so the images look different.
    tail = (seed % (1 << 192)).to_bytes(24, "big")
    c = hashlib.blake2b(tail, digest_size=12).digest()
    top = b"\x00" + c[0:3] * 4 + c[3:6] * 4
    bottom = b"\x00" + c[6:9] * 4 + c[9:12] * 4
    raw = top * 4 + bottom * 3 + b"\x00" + tail
    z = _TINY_ZHEAD + raw + struct.pack(">I", zlib.adler32(raw))
    return _PNG_SIG + _TINY_IHDR + _chunk(b"IDAT", z) + _IEND


def _lzw_encode(indices: bytes, min_size: int) -> bytes:
    """GIF-flavoured variable-width LZW (LSB-first packing, clear code when the table fills)."""
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    out = bytearray()
    acc = nbits = 0
    size, next_code = min_size + 1, eoi + 1
    table: dict[int, int] = {}  # (prefix_code << 8 | byte) -> code; ints hash faster than bytes

    def emit(code: int) -> None:
        nonlocal acc, nbits
        acc |= code << nbits
        nbits += size
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8

    emit(clear)
    if indices:
        prefix = indices[0]
        for b in indices[1:]:
            key = prefix << 8 | b
            code = table.get(key)
            if code is not None:
                prefix = code
                continue
            emit(prefix)
            if next_code < 4096:
                table[key] = next_code
                next_code += 1
                # The decoder adds its entries one code later than we do, so widen only once
                # the code just added no longer fits in `size` bits.
                if next_code > (1 << size) and size < 12:
                    size += 1
            else:
                emit(clear)
                table.clear()
                size, next_code = min_size + 1, eoi + 1
            prefix = b
        emit(prefix)
    emit(eoi)
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def _sub_blocks(data: bytes) -> bytes:
    """Split data into GIF sub-blocks of at most 255 bytes plus the zero terminator."""
    parts = [bytes((len(data[i : i + 255]),)) + data[i : i + 255] for i in range(0, len(data), 255)]
    return b"".join(parts) + b"\x00"


def render_gif(seed: int, width: int, height: int, frames: int = 4) -> bytes:
    """Render a looping GIF89a with a square moving across a seed-coloured gradient."""
    _check_size(width, height)
    if frames < 1 or width > 0xFFFF or height > 0xFFFF:
        raise ValueError("GIF needs frames >= 1 and sides <= 65535")
    rng = _rng(seed)
    hue = rng.random()
    # 16 colours: 12 gradient shades, the mover, a static bar, white, black.
    palette = b"".join(_rgb(hue + 0.12 * i / 11, 0.55, 0.35 + 0.6 * i / 11) for i in range(12))
    palette += _rgb(hue + 0.5, 0.9, 1.0) + _rgb(hue + 0.3, 0.8, 0.8) + b"\xff\xff\xff\x00\x00\x00"
    background = bytes(x * 12 // width for x in range(width)) * height
    side = max(1, min(width, height) // 4)
    bar_y = int(rng.random() * height)
    bar_end = min(height, bar_y + max(1, height // 12))
    flip_x, flip_y = rng.random() < 0.5, rng.random() < 0.5
    # Header + screen descriptor (16-entry global table) + palette + NETSCAPE loop-forever.
    out = [b"GIF89a" + struct.pack("<HHBBB", width, height, 0xB3, 0, 0) + palette]
    out.append(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")
    for f in range(frames):
        t = f / max(1, frames - 1)
        sx = round((width - side) * (1 - t if flip_x else t))
        sy = round((height - side) * (1 - t if flip_y else t))
        pix = bytearray(background)
        pix[bar_y * width : bar_end * width] = b"\x0d" * ((bar_end - bar_y) * width)
        for y in range(sy, sy + side):
            pix[y * width + sx : y * width + sx + side] = b"\x0c" * side
        out.append(b"\x21\xf9\x04\x04\x0c\x00\x00\x00")  # GCE: disposal 1, 120 ms
        out.append(b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x04")
        out.append(_sub_blocks(_lzw_encode(bytes(pix), 4)))
    out.append(b"\x3b")
    return b"".join(out)


def render_mp4_stub(seed: int) -> bytes:
    """Return a non-playable MP4-looking blob (ftyp + free + mdat boxes) unique per seed."""
    digest = hashlib.sha256(f"imgur-sync-mp4:{seed}".encode()).digest()
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42"
    free = struct.pack(">I", 8 + len(digest)) + b"free" + digest
    payload = hashlib.sha512(digest).digest()
    return ftyp + free + struct.pack(">I", 8 + len(payload)) + b"mdat" + payload


# Imgur thumbnail suffix -> target size; s/b are square crops, the rest keep proportions.
_THUMBS = {"s": 90, "b": 160, "t": 160, "m": 320, "l": 640, "h": 1024}


def _unfilter(ft: int, line: bytes, prev: bytes) -> bytes | None:
    """Undo one PNG scanline filter (bpp 3); None for an unknown filter type."""
    if not 0 < ft <= 4:
        return None
    cur = bytearray(line)
    for i in range(len(cur)):
        a, b, c = (cur[i - 3], prev[i], prev[i - 3]) if i >= 3 else (0, prev[i], 0)
        if ft == 1:
            pred = a
        elif ft == 2:
            pred = b
        elif ft == 3:
            pred = (a + b) // 2
        else:  # Paeth
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        cur[i] = (cur[i] + pred) & 0xFF
    return bytes(cur)


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield (type, body) for each PNG chunk after the signature; stops at truncation."""
    pos = 8
    while pos + 8 <= len(data):
        length, tag = struct.unpack(">I4s", data[pos : pos + 8])
        yield tag, data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _decode_png(data: bytes) -> tuple[int, int, list[bytes]] | None:
    """Decode a non-interlaced 8-bit RGB PNG into rows; None for anything else."""
    if not data.startswith(_PNG_SIG):
        return None
    chunks = list(_chunks(data))
    ihdr = next((body for tag, body in chunks if tag == b"IHDR"), b"")
    idat = [body for tag, body in chunks if tag == b"IDAT"]
    if len(ihdr) != 13:
        return None
    w, h, *params = struct.unpack(">IIBBBBB", ihdr)
    if params != [8, 2, 0, 0, 0] or not w or not h or w * h > _MAX_PIXELS:
        return None
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error:
        return None
    stride = 3 * w
    if len(raw) < h * (stride + 1):
        return None
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(h):
        off = y * (stride + 1)
        line: bytes | None = raw[off + 1 : off + 1 + stride]
        if raw[off]:
            line = _unfilter(raw[off], line, prev)
            if line is None:
                return None
        rows.append(line)
        prev = line
    return w, h, rows


def thumbnail(data: bytes, suffix: str) -> bytes:
    """Imgur-style thumbnail (s b t m l h) of an RGB PNG; other data is returned unchanged."""
    if suffix not in _THUMBS:
        raise ValueError(f"unknown thumbnail suffix {suffix!r}")
    decoded = _decode_png(bytes(data))
    if decoded is None:
        return data
    w, h, rows = decoded
    size = _THUMBS[suffix]
    if suffix in "sb":
        side = min(w, h)
        x0, y0, cw, ch, dw, dh = (w - side) // 2, (h - side) // 2, side, side, size, size
    else:
        if max(w, h) <= size:
            return data  # never upscale: Imgur serves the original for small images
        big = max(w, h)  # the longer side becomes exactly `size`
        x0, y0, cw, ch = 0, 0, w, h
        dw, dh = max(1, (w * size + big // 2) // big), max(1, (h * size + big // 2) // big)
    if (x0, y0, cw, ch, dw, dh) == (0, 0, w, h, w, h):
        return data
    # Nearest neighbour sampling pixel centres; itemgetter gathers a whole row in C.
    pick = operator.itemgetter(
        *[3 * (x0 + (2 * i + 1) * cw // (2 * dw)) + c for i in range(dw) for c in range(3)]
    )
    out = [bytes(pick(rows[y0 + (2 * j + 1) * ch // (2 * dh)])) for j in range(dh)]
    return _encode_png(dw, dh, b"\x00" + b"\x00".join(out))


# ISO-BMFF brands that are still images, not video: calling them mp4 would mislabel them.
_IMAGE_BRANDS = {b"avif", b"avis", b"heic", b"heix", b"hevc", b"mif1", b"msf1"}


def _sniff_png(d: bytes) -> MediaInfo | None:
    if len(d) < 24 or d[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", d[16:24])
    # An acTL chunk before the image data marks an APNG.
    marks = (tag for tag, _ in _chunks(d) if tag in (b"acTL", b"IDAT", b"IEND"))
    animated = next(marks, None) == b"acTL"
    return MediaInfo("image/png", "png", w, h, animated, False)


def _sniff_jpeg(d: bytes) -> MediaInfo:
    pos, n = 2, len(d)
    while pos + 4 <= n and d[pos] == 0xFF:
        marker = d[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # standalone markers carry no length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan: no SOF seen
            break
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and pos + 9 <= n:
            h, w = struct.unpack(">HH", d[pos + 5 : pos + 9])
            return MediaInfo("image/jpeg", "jpg", w, h, False, False)
        pos += 2 + struct.unpack(">H", d[pos + 2 : pos + 4])[0]
    return MediaInfo("image/jpeg", "jpg", 0, 0, False, False)


def _sniff_gif(d: bytes) -> MediaInfo | None:
    if len(d) < 13:
        return None
    w, h, packed = struct.unpack("<HHB", d[6:11])
    pos = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    images = 0
    while pos < len(d) and images < 2:  # walk blocks, counting image descriptors
        block = d[pos]
        if block == 0x21:
            pos += 2
        elif block == 0x2C and pos + 10 <= len(d):
            images += 1
            flags = d[pos + 9]
            pos += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1  # + LZW min size
        else:
            break  # trailer or garbage
        while pos < len(d) and d[pos]:  # skip data sub-blocks
            pos += d[pos] + 1
        pos += 1
    return MediaInfo("image/gif", "gif", w, h, images > 1, False)


def _sniff_tiff(d: bytes) -> MediaInfo:
    e = "<" if d[:2] == b"II" else ">"
    dims = {256: 0, 257: 0}  # ImageWidth, ImageLength
    if len(d) >= 8:
        ifd = struct.unpack(e + "I", d[4:8])[0]
        if ifd + 2 <= len(d):
            count = min(struct.unpack(e + "H", d[ifd : ifd + 2])[0], (len(d) - ifd - 2) // 12)
            for i in range(count):
                at = ifd + 2 + 12 * i
                tag, typ = struct.unpack(e + "HH", d[at : at + 4])
                if tag in dims and typ in (3, 4):
                    fmt, size = (e + "H", 2) if typ == 3 else (e + "I", 4)
                    dims[tag] = struct.unpack(fmt, d[at + 8 : at + 8 + size])[0]
    return MediaInfo("image/tiff", "tiff", dims[256], dims[257], False, False)


def _sniff_bmp(d: bytes) -> MediaInfo | None:
    # "BM" alone is a weak magic (plain text can start with it), so demand a sane DIB header.
    if len(d) < 26:
        return None
    hsize = struct.unpack("<I", d[14:18])[0]
    if hsize == 12:
        w, h, planes = struct.unpack("<HHH", d[18:24])
    elif hsize in (40, 52, 56, 64, 108, 124) and len(d) >= 28:
        w, h, planes = struct.unpack("<iiH", d[18:28])
    else:
        return None
    return MediaInfo("image/bmp", "bmp", abs(w), abs(h), False, False) if planes == 1 else None


def _sniff_webp(d: bytes) -> MediaInfo:
    kind, w, h, animated = d[12:16], 0, 0, False
    if kind == b"VP8 " and len(d) >= 30 and d[23:26] == b"\x9d\x01\x2a":
        w, h = (v & 0x3FFF for v in struct.unpack("<HH", d[26:30]))
    elif kind == b"VP8L" and len(d) >= 25 and d[20] == 0x2F:
        bits = int.from_bytes(d[21:25], "little")
        w, h = (bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1
    elif kind == b"VP8X" and len(d) >= 30:
        animated = bool(d[20] & 0x02)
        w = int.from_bytes(d[24:27], "little") + 1
        h = int.from_bytes(d[27:30], "little") + 1
    return MediaInfo("image/webp", "webp", w, h, animated, False)


def sniff(data: bytes) -> MediaInfo | None:
    """Identify image/video bytes by magic number; None if unrecognised. Never raises."""
    try:
        d = bytes(data)
        if d.startswith(_PNG_SIG):
            return _sniff_png(d)
        if d.startswith(b"\xff\xd8\xff"):
            return _sniff_jpeg(d)
        if d[:6] in (b"GIF87a", b"GIF89a"):
            return _sniff_gif(d)
        if d[:4] in (b"II*\x00", b"MM\x00*"):
            return _sniff_tiff(d)
        if d.startswith(b"BM"):
            return _sniff_bmp(d)
        if d[:4] == b"RIFF" and d[8:12] == b"WEBP":
            return _sniff_webp(d)
        if d[4:8] == b"ftyp" and len(d) >= 12:
            brand = d[8:12]
            if brand in _IMAGE_BRANDS:
                return None
            if brand == b"qt  ":
                return MediaInfo("video/quicktime", "mov", 0, 0, True, True)
            return MediaInfo("video/mp4", "mp4", 0, 0, True, True)
        if d.startswith(b"\x1a\x45\xdf\xa3"):
            return MediaInfo("video/webm", "webm", 0, 0, True, True)
    except (struct.error, IndexError, ValueError, TypeError):
        return None  # belt and braces: the parsers bound-check, but input is hostile
    return None


# Imgur's removed.png stand-in (161x81). Rendering it costs about a millisecond, so it is
# built once at import; removed_png() serves callers that prefer a function.
REMOVED_PNG: bytes = render_png(0x5EED, 161, 81, "REMOVED")


def removed_png() -> bytes:
    """Return the bytes of the removed.png stand-in (the same object as REMOVED_PNG)."""
    return REMOVED_PNG


# -- an image's bytes, as the media routes and the seeds serve them ------------------------


@lru_cache(maxsize=4096)
def _rendered(kind: str, seed: int, width: int, height: int, label: str) -> bytes:
    if kind == "picture":
        return render_png(seed, width, height, label)
    if kind == "gif":
        return render_gif(seed, width, height)
    return render_tiny_png(seed)


def image_bytes(image: Image) -> bytes:
    """Return the original media bytes of ``image``."""
    if image.media_kind == "stored" and image.data is not None:
        return image.data
    return _rendered(image.media_kind, image.media_seed, image.width, image.height, image.label)


@lru_cache(maxsize=1024)
def _thumb(kind: str, seed: int, width: int, height: int, label: str, suffix: str) -> bytes:
    return thumbnail(_rendered(kind, seed, width, height, label), suffix)


def thumbnail_bytes(image: Image, suffix: str) -> bytes:
    """Return the ``suffix`` thumbnail (s b t m l h) of ``image``."""
    if image.media_kind == "stored":
        return thumbnail(image_bytes(image), suffix)
    return _thumb(image.media_kind, image.media_seed, image.width, image.height, image.label,
                  suffix)
