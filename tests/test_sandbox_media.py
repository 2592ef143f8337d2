"""Tests for imgur_sync.sandbox.media: rendering, thumbnails and sniffing (stdlib only)."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib

import pytest

from imgur_sync.sandbox import media
from imgur_sync.sandbox.media import (
    REMOVED_PNG,
    MediaInfo,
    render_gif,
    render_mp4_stub,
    render_png,
    render_tiny_png,
    sniff,
    thumbnail,
)

try:  # optional extra cross-check; every test is meaningful without it
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the environment
    Image = None

PNG_SIG = b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------- PNG helpers


def parse_png(data: bytes) -> tuple[int, int, bytes]:
    """Independently parse a PNG, asserting structure and CRCs; return (w, h, raw scanlines)."""
    assert data[:8] == PNG_SIG
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert len(body) == length
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body), f"bad CRC on {tag!r}"
        chunks.append((tag, body))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    w, h, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, ctype, comp, filt, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for tag, body in chunks if tag == b"IDAT"))
    assert len(raw) == h * (1 + 3 * w)
    return w, h, raw


def png_rows(data: bytes) -> list[bytes]:
    """Pixel rows of one of our PNGs (which only ever use filter type 0)."""
    w, h, raw = parse_png(data)
    stride = 1 + 3 * w
    assert all(raw[y * stride] == 0 for y in range(h))
    return [raw[y * stride + 1 : (y + 1) * stride] for y in range(h)]


def encode_filtered(w: int, h: int, pixels: list[bytes], ft: int) -> bytes:
    """A PNG whose every scanline uses filter `ft`, to exercise thumbnail()'s unfiltering."""
    out, prev = bytearray(), bytes(3 * w)
    for row in pixels:
        out.append(ft)
        for i, x in enumerate(row):
            a = row[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            p = a + b - c
            paeth = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
            pred = [0, a, b, (a + b) // 2, paeth][ft]
            out.append((x - pred) & 0xFF)
        prev = row

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        PNG_SIG
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(out)))
        + chunk(b"IEND", b"")
    )


# ----------------------------------------------------------------------------- render_png


@pytest.mark.parametrize(
    ("w", "h", "label"),
    [(1, 1, ""), (3, 2, "X"), (640, 480, ""), (640, 480, "CAT 3"), (37, 500, "Q?")],
)
def test_render_png_is_valid(w: int, h: int, label: str) -> None:
    data = render_png(5, w, h, label)
    pw, ph, _ = parse_png(data)
    assert (pw, ph) == (w, h)
    if Image is not None:  # optional cross-check with an independent decoder
        im = Image.open(io.BytesIO(data))
        im.load()
        assert im.size == (w, h) and im.mode == "RGB"


def test_render_png_deterministic_and_distinct() -> None:
    assert render_png(42, 120, 80) == render_png(42, 120, 80)
    assert render_png(42, 120, 80, "HI") == render_png(42, 120, 80, "HI")
    images = {render_png(seed, 120, 80) for seed in range(-10, 30)}
    assert len(images) == 40  # negative seeds differ from their positive twins too
    assert render_png(1, 120, 80, "A") != render_png(1, 120, 80, "B") != render_png(1, 120, 80)


def test_render_png_label_is_high_contrast() -> None:
    rows = png_rows(render_png(9, 640, 480, "CAT 3"))
    # The middle scanline crosses the text: only the dark plate and the light ink remain there.
    mid = rows[240][3 * 80 : 3 * 560]
    colours = {mid[i : i + 3] for i in range(0, len(mid), 3)}
    assert len(colours) == 2
    dark, light = sorted(colours, key=sum)
    assert sum(dark) < 200 and sum(light) > 600


def test_render_png_unknown_chars_draw_a_box() -> None:
    assert render_png(3, 64, 32, "~") != render_png(3, 64, 32, " ")
    assert render_png(3, 64, 32, "cat") == render_png(3, 64, 32, "CAT")


def test_render_png_rejects_bad_sizes() -> None:
    for w, h in [(0, 5), (5, 0), (-1, 3), (100_000, 100_000)]:
        with pytest.raises(ValueError):
            render_png(1, w, h)


def test_removed_png() -> None:
    assert parse_png(REMOVED_PNG)[:2] == (161, 81)
    assert media.removed_png() == REMOVED_PNG
    assert sniff(REMOVED_PNG) == MediaInfo("image/png", "png", 161, 81, False, False)


# ----------------------------------------------------------------------------- tiny PNGs


def test_render_tiny_png_valid_unique_deterministic() -> None:
    seeds = [*range(-500, 1500), 2**63, 2**64 + 1, -(2**70)]
    digests = {hashlib.sha256(render_tiny_png(s)).hexdigest() for s in seeds}
    assert len(digests) == len(seeds)
    assert render_tiny_png(77) == render_tiny_png(77)
    for s in (0, -1, 12345, 2**100):
        w, h, _ = parse_png(render_tiny_png(s))
        assert (w, h) == (8, 8)


# ----------------------------------------------------------------------------- GIF


def lzw_decode(data: bytes, min_size: int) -> bytes:
    """Reference GIF LZW decoder written independently of the encoder under test."""
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    bitpos, out = 0, bytearray()
    size, table, prev = min_size + 1, [], None
    acc = int.from_bytes(data, "little")
    while True:
        assert bitpos + size <= 8 * len(data), "ran out of data before EOI"
        code = (acc >> bitpos) & ((1 << size) - 1)
        bitpos += size
        if code == clear:
            table = [bytes([i]) for i in range(clear)] + [b"", b""]
            size, prev = min_size + 1, None
            continue
        if code == eoi:
            return bytes(out)
        if prev is None:
            entry = table[code]
        else:
            entry = table[code] if code < len(table) else prev + prev[:1]
            table.append(prev + entry[:1])
            if len(table) == (1 << size) and size < 12:
                size += 1
        out += entry
        prev = entry


def parse_gif(data: bytes) -> tuple[int, int, list[bytes], bool]:
    """Walk a GIF's blocks; return (w, h, decoded frame indices, has NETSCAPE loop)."""
    assert data[:6] == b"GIF89a" and data[-1:] == b"\x3b"
    w, h, packed = struct.unpack("<HHB", data[6:11])
    assert packed & 0x80  # global colour table present
    pos = 13 + 3 * (2 << (packed & 7))
    frames, looping = [], False

    def sub_blocks(p: int) -> tuple[bytes, int]:
        body = bytearray()
        while data[p]:
            body += data[p + 1 : p + 1 + data[p]]
            p += 1 + data[p]
        return bytes(body), p + 1

    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            label = data[pos + 1]
            body, pos = sub_blocks(pos + 2)
            looping |= label == 0xFF and body.startswith(b"NETSCAPE2.0")
        else:
            assert data[pos] == 0x2C
            assert struct.unpack("<HHHH", data[pos + 1 : pos + 9]) == (0, 0, w, h)
            min_size = data[pos + 10]
            body, pos = sub_blocks(pos + 11)
            frames.append(lzw_decode(body, min_size))
    assert pos == len(data) - 1
    return w, h, frames, looping


def test_render_gif_structure_and_motion() -> None:
    data = render_gif(3, 200, 150, frames=6)
    w, h, frames, looping = parse_gif(data)
    assert (w, h, len(frames), looping) == (200, 150, 6, True)
    side = min(w, h) // 4
    positions = []
    for frame in frames:
        assert len(frame) == w * h and max(frame) < 16
        assert frame.count(12) == side * side  # the moving square, fully on screen
        first = frame.index(12)
        positions.append(divmod(first, w))
    assert len(set(positions)) == 6  # it moves every frame
    if Image is not None:  # optional cross-check with an independent decoder
        im = Image.open(io.BytesIO(data))
        assert im.size == (200, 150) and im.n_frames == 6


def test_render_gif_deterministic_distinct_and_large() -> None:
    assert render_gif(1, 64, 48) == render_gif(1, 64, 48)
    assert len({render_gif(s, 64, 48) for s in range(20)}) == 20
    # Big frames overflow the 4096-entry LZW table, exercising the clear-code path.
    w, h, frames, _ = parse_gif(render_gif(8, 640, 480, frames=2))
    assert len(frames) == 2 and all(len(f) == w * h for f in frames)
    w, h, frames, _ = parse_gif(render_gif(0, 1, 1, frames=3))
    assert (w, h, len(frames)) == (1, 1, 3)


@pytest.mark.parametrize("min_size", [2, 3, 4, 8])
def test_lzw_round_trip(min_size: int) -> None:
    rng = random.Random(min_size)
    for n in (0, 1, 2, 50, 5000, 60000):
        noisy = bytes(rng.randrange(1 << min_size) for _ in range(n))
        runs = bytes((i // 97) % (1 << min_size) for i in range(n))
        for sample in (noisy, runs):
            assert lzw_decode(media._lzw_encode(sample, min_size), min_size) == sample


# ----------------------------------------------------------------------------- MP4 stub


def test_render_mp4_stub() -> None:
    data = render_mp4_stub(5)
    assert data.startswith(b"\x00\x00\x00\x18ftypmp42")
    pos, boxes = 0, []
    while pos < len(data):  # boxes must tile the blob exactly
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        boxes.append(kind)
        pos += size
    assert pos == len(data) and boxes[0] == b"ftyp"
    assert render_mp4_stub(5) == data
    assert len({render_mp4_stub(s) for s in range(-5, 50)}) == 55
    assert sniff(data) == MediaInfo("video/mp4", "mp4", 0, 0, True, True)


# ----------------------------------------------------------------------------- thumbnails

EXPECTED_THUMBS = {
    (1920, 1080): {
        "s": (90, 90),
        "b": (160, 160),
        "t": (160, 90),
        "m": (320, 180),
        "l": (640, 360),
        "h": (1024, 576),
    },
    (100, 300): {
        "s": (90, 90),
        "b": (160, 160),
        "t": (53, 160),
        "m": (100, 300),
        "l": (100, 300),
        "h": (100, 300),
    },
    (8, 8): {"s": (90, 90), "b": (160, 160), "t": (8, 8), "m": (8, 8), "l": (8, 8), "h": (8, 8)},
}


@pytest.mark.parametrize("size", list(EXPECTED_THUMBS))
def test_thumbnail_sizes(size: tuple[int, int]) -> None:
    src = render_tiny_png(4) if size == (8, 8) else render_png(4, *size, "T")
    for suffix, expected in EXPECTED_THUMBS[size].items():
        thumb = thumbnail(src, suffix)
        assert parse_png(thumb)[:2] == expected, suffix
        if Image is not None:  # optional cross-check with an independent decoder
            assert Image.open(io.BytesIO(thumb)).size == expected
        assert thumbnail(src, suffix) == thumb  # deterministic
        if expected == size:
            assert thumb == src  # never upscaled, served as is


def test_thumbnail_square_crop_is_centred() -> None:
    # 30x10 image: three 10x10 blocks red, green, blue; the centred square crop is all green.
    row = b"\xff\x00\x00" * 10 + b"\x00\xff\x00" * 10 + b"\x00\x00\xff" * 10
    src = encode_filtered(30, 10, [row] * 10, 0)
    rows = png_rows(thumbnail(src, "s"))
    assert {r[i : i + 3] for r in rows for i in range(0, len(r), 3)} == {b"\x00\xff\x00"}


@pytest.mark.parametrize("ft", [1, 2, 3, 4])
def test_thumbnail_decodes_all_png_filters(ft: int) -> None:
    rng = random.Random(ft)
    pixels = [bytes(rng.randrange(256) for _ in range(3 * 21)) for _ in range(13)]
    reference = thumbnail(encode_filtered(21, 13, pixels, 0), "b")
    assert thumbnail(encode_filtered(21, 13, pixels, ft), "b") == reference
    assert parse_png(reference)[:2] == (160, 160)


def test_thumbnail_passes_through_other_data() -> None:
    gif = render_gif(1, 300, 300)
    assert thumbnail(gif, "m") is gif
    assert thumbnail(b"not an image", "s") == b"not an image"
    truncated = render_png(1, 300, 300)[:60]
    assert thumbnail(truncated, "t") == truncated
    with pytest.raises(ValueError):
        thumbnail(render_tiny_png(1), "x")


# ----------------------------------------------------------------------------- sniff


def jpeg(sof: int = 0xC0, w: int = 321, h: int = 123) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof_seg = bytes([0xFF, sof]) + struct.pack(">HBHHB", 11, 8, h, w, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + b"\xff\xff" + sof_seg + b"\xff\xda\x00\x02" + b"\x00" * 10


def tiff(order: str, w: int, h: int) -> bytes:
    head = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    entries = struct.pack(order + "HHIHH", 256, 3, 1, w, 0) + struct.pack(
        order + "HHII", 257, 4, 1, h
    )
    return head + struct.pack(order + "H", 2) + entries + b"\x00" * 4


def riff_webp(kind: bytes, body: bytes) -> bytes:
    chunk = kind + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def apng() -> bytes:
    png = render_png(1, 20, 10)
    actl = struct.pack(">II", 2, 0)
    actl_chunk = (
        struct.pack(">I", 8) + b"acTL" + actl + struct.pack(">I", zlib.crc32(b"acTL" + actl))
    )
    return png[:33] + actl_chunk + png[33:]  # right after the 8+25 bytes of signature + IHDR


VP8L_BITS = (99 & 0x3FFF) | ((49 & 0x3FFF) << 14)  # stores width-1=99, height-1=49

SNIFF_CASES = [
    (render_png(2, 33, 44), MediaInfo("image/png", "png", 33, 44, False, False)),
    (render_tiny_png(2), MediaInfo("image/png", "png", 8, 8, False, False)),
    (apng(), MediaInfo("image/png", "png", 20, 10, True, False)),
    (render_gif(2, 50, 40), MediaInfo("image/gif", "gif", 50, 40, True, False)),
    (render_gif(2, 50, 40, frames=1), MediaInfo("image/gif", "gif", 50, 40, False, False)),
    (jpeg(), MediaInfo("image/jpeg", "jpg", 321, 123, False, False)),
    (jpeg(0xC1, 7, 9), MediaInfo("image/jpeg", "jpg", 7, 9, False, False)),
    (jpeg(0xC2, 4000, 3000), MediaInfo("image/jpeg", "jpg", 4000, 3000, False, False)),
    (b"\xff\xd8\xff\xe0\x00\x04ab\xff\xd9", MediaInfo("image/jpeg", "jpg", 0, 0, False, False)),
    (tiff("<", 640, 70000), MediaInfo("image/tiff", "tiff", 640, 70000, False, False)),
    (tiff(">", 12, 34), MediaInfo("image/tiff", "tiff", 12, 34, False, False)),
    (b"MM\x00*\x00\x00\x00\x08", MediaInfo("image/tiff", "tiff", 0, 0, False, False)),
    (
        b"BM" + b"\x00" * 12 + struct.pack("<IiiHH", 40, 300, -200, 1, 24) + b"\x00" * 24,
        MediaInfo("image/bmp", "bmp", 300, 200, False, False),
    ),
    (
        b"BM" + b"\x00" * 12 + struct.pack("<IHHHH", 12, 5, 6, 1, 24),
        MediaInfo("image/bmp", "bmp", 5, 6, False, False),
    ),
    (
        riff_webp(b"VP8 ", b"\x00" * 3 + b"\x9d\x01\x2a" + struct.pack("<HH", 640, 480)),
        MediaInfo("image/webp", "webp", 640, 480, False, False),
    ),
    (
        riff_webp(b"VP8L", b"\x2f" + struct.pack("<I", VP8L_BITS)),
        MediaInfo("image/webp", "webp", 100, 50, False, False),
    ),
    (
        riff_webp(
            b"VP8X", b"\x02\x00\x00\x00" + (299).to_bytes(3, "little") + (9).to_bytes(3, "little")
        ),
        MediaInfo("image/webp", "webp", 300, 10, True, False),
    ),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", MediaInfo("video/mp4", "mp4", 0, 0, True, True)),
    (
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",
        MediaInfo("video/quicktime", "mov", 0, 0, True, True),
    ),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", MediaInfo("video/webm", "webm", 0, 0, True, True)),
]


@pytest.mark.parametrize(("data", "expected"), SNIFF_CASES)
def test_sniff_known_formats(data: bytes, expected: MediaInfo) -> None:
    assert sniff(data) == expected
    assert sniff(bytearray(data)) == expected
    assert sniff(memoryview(data)) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"hello world, this is plain text and not an image at all",
        b"BM is not a bitmap when followed by text like this one",
        PNG_SIG,  # signature with no IHDR
        b"GIF89a\x01\x00",
        b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00",  # an AVIF image, not a video
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
        bytes(64),
    ],
)
def test_sniff_rejects_unknown(data: bytes) -> None:
    assert sniff(data) is None


def test_sniff_never_raises_on_random_or_damaged_input() -> None:
    rng = random.Random(1234)
    results = [sniff(rng.randbytes(rng.randrange(0, 200))) for _ in range(3000)]
    for valid, _expected in SNIFF_CASES:
        for cut in range(len(valid) + 1 if len(valid) < 300 else 300):
            results.append(sniff(valid[:cut]))
        for _ in range(200):  # random corruption behind a valid magic number
            blob = bytearray(valid[:400])
            for _ in range(rng.randrange(1, 8)):
                blob[rng.randrange(len(blob))] = rng.randrange(256)
            results.append(sniff(bytes(blob)))
            results.append(sniff(valid[:12] + rng.randbytes(rng.randrange(0, 64))))
    assert all(r is None or isinstance(r, MediaInfo) for r in results)
    # Pure random bytes essentially never carry a magic number we recognise.
    assert sum(sniff(rng.randbytes(64)) is not None for _ in range(2000)) <= 2
