"""layout.py: names and paths of the folder tree (docs/ARCHITECTURE.md §Folder tree)."""

from __future__ import annotations

import ast
import os
import shutil
import sys
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import imgur_sync.mirror.layout
import imgur_sync.sections
from imgur_sync.mirror.layout import (
    MAX_NAME_BYTES,
    SECTION_DIRS,
    album_dir,
    album_member_path,
    extension,
    favorite_album_member_path,
    favorite_path,
    id_in_name,
    image_path,
    is_inside,
    message_path,
    safe_name,
    trash_path,
)

ID = "abc1234"
# Written out again here rather than imported, so a slip in the module cannot hide itself.
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{dev}{n}" for dev in ("COM", "LPT") for n in "123456789¹²³"
}
WINDOWS_FORBIDDEN = set('<>:"|?*/\\')
BIDI_CONTROLS = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E,
                                  0x200F, 0x061C]}
ZW_JOINERS = {"\u200c", "\u200d"}


def title_part(name: str, ident: str, ext: str) -> str | None:
    """Return the title a name was made from (``None`` for the id-only form)."""
    suffix = f" [{ident}].{ext}" if ext else f" [{ident}]"
    if name.endswith(suffix):
        return name[: -len(suffix)]
    assert name == (f"{ident}.{ext}" if ext else ident)
    return None


def assert_safe(name: str, ident: str, ext: str, max_bytes: int = MAX_NAME_BYTES) -> None:
    """Check every promise safe_name makes about one name."""
    assert name not in ("", ".", "..")
    assert len(name.encode("utf-8")) <= max_bytes
    assert not WINDOWS_FORBIDDEN & set(name), name
    assert "\0" not in name
    for ch in name:
        category = unicodedata.category(ch)
        assert category not in ("Cc", "Cs"), (name, ch)
        assert category != "Cf" or ch in ZW_JOINERS, (name, ch)
    assert not BIDI_CONTROLS & set(name)
    assert name == name.strip(" ."), name
    assert "  " not in name
    assert unicodedata.is_normalized("NFC", name)
    assert name.split(".")[0].rstrip(" ").upper() not in WINDOWS_RESERVED, name
    title = title_part(name, ident, ext)
    if title is not None:
        assert title and title == title.strip(" .\u200c\u200d")
        # Sanitizing a sanitized title changes nothing.
        assert safe_name(title, ident, ext, max_bytes=max_bytes) == name


def _imports(module: Any) -> set[str]:
    """Return what ``module`` imports: top-level names, and ``..name`` for ours."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            modules |= ({"." * node.level + (node.module or alias.name) for alias in node.names}
                        if node.level else {node.module or ""})
    return {name if name.startswith(".") else name.split(".")[0] for name in modules}


def test_layout_imports_only_the_standard_library() -> None:
    # ... and the list of sections (its folders), itself standard library only.
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    assert _imports(imgur_sync.mirror.layout) <= stdlib | {"..sections"}
    assert _imports(imgur_sync.sections) <= stdlib


# --- examples ---------------------------------------------------------------------------------

EXAMPLES = [
    # (title, expected name for id abc1234 and ext png)
    ("Hello world", "Hello world [abc1234].png"),
    ("My cat 🐱🐈", "My cat 🐱🐈 [abc1234].png"),
    ("قطتي الجميلة", "قطتي الجميلة [abc1234].png"),
    ("החתול שלי", "החתול שלי [abc1234].png"),
    ("猫の写真 2024", "猫の写真 2024 [abc1234].png"),
    ("Cafe\u0301 cre\u0300me", "Café crème [abc1234].png"),  # NFD in, NFC out
    ("Straße", "Straße [abc1234].png"),
    ("", "abc1234.png"),
    (None, "abc1234.png"),
    ("...", "abc1234.png"),
    ("  .  . ", "abc1234.png"),
    ("\t\n\r\x0b\x0c", "abc1234.png"),
    ("\u202e\u2066\u200b\ufeff", "abc1234.png"),
    (".hidden", "hidden [abc1234].png"),
    ("trailing dots...", "trailing dots [abc1234].png"),
    ("  padded  title  ", "padded title [abc1234].png"),
    ("tabs\tand\nnew\r\nlines", "tabs and new lines [abc1234].png"),
    ("nbsp\u00a0and\u3000ideographic\u2028space", "nbsp and ideographic space [abc1234].png"),
    ("../../etc/passwd", "_.._etc_passwd [abc1234].png"),
    ("..", "abc1234.png"),
    ("a/b\\c", "a_b_c [abc1234].png"),
    ('<>:"|?*', "_______ [abc1234].png"),
    ("Part 1: the start?", "Part 1_ the start_ [abc1234].png"),
    ("CON", "CON [abc1234].png"),  # " [id]" follows, so the name is not reserved
    ("con.txt", "con_txt [abc1234].png"),
    ("CON .txt", "CON _txt [abc1234].png"),
    ("NUL", "NUL [abc1234].png"),
    ("nul.tar.gz", "nul_tar.gz [abc1234].png"),
    ("LPT1", "LPT1 [abc1234].png"),
    ("lpt1.x", "lpt1_x [abc1234].png"),
    ("COM¹.jpg", "COM¹_jpg [abc1234].png"),
    ("console.log", "console.log [abc1234].png"),
    ("nul\0byte", "nulbyte [abc1234].png"),
    ("bell\x07del\x7fc1\x85x\x9b", "belldelc1 x [abc1234].png"),
    ("lone \ud800surrogate", "lone surrogate [abc1234].png"),
    ("\u202egnp.exe", "gnp.exe [abc1234].png"),
    ("left\u2067right\u2069\u200e\u200f\u061c", "leftright [abc1234].png"),
    ("soft\u00adhyphen", "softhyphen [abc1234].png"),
    ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family [abc1234].png"),  # ZWJ kept
    ("\u200dedge joiners\u200c", "edge joiners [abc1234].png"),
]


@pytest.mark.parametrize(("title", "expected"), EXAMPLES)
def test_safe_name_examples(title: str | None, expected: str) -> None:
    name = safe_name(title, ID, "png")
    assert name == expected
    assert_safe(name, ID, "png")


def test_folder_names_have_no_extension() -> None:
    assert safe_name("Holiday", "AlB12") == "Holiday [AlB12]"
    assert safe_name(None, "AlB12") == "AlB12"
    assert safe_name("con.d", "AlB12") == "con_d [AlB12]"


def test_case_is_kept_and_ids_keep_duplicates_apart() -> None:
    assert safe_name("Cat", ID, "png") != safe_name("cat", ID, "png")
    assert safe_name("Cat", ID, "png").lower() == safe_name("cat", ID, "png").lower()
    same_title = {safe_name("Untitled", i, "jpg") for i in ("aaaaa", "aaaab", "AAAAA", "bbbbbbb")}
    assert len(same_title) == 4
    # A title that spells another image's suffix still ends in its own.
    assert safe_name("x [zzzzz9].png", ID, "png") == "x [zzzzz9].png [abc1234].png"


LONG_TITLES = [
    "x" * 300,
    "ش" * 300,  # Arabic, 2 bytes each
    "日本語" * 100,  # 3 bytes each
    "😀" * 100,  # 4 bytes each
    "x\u0301" * 150,  # a mark with no precomposed form: graphemes of 3 bytes
    "👍🏽" * 60,  # emoji + skin-tone modifier
    "👨\u200d👩\u200d👧" * 30,  # ZWJ sequences of 18 bytes
    "🇫🇷🇯🇵" * 30,  # flags: pairs of regional indicators
    "a b " * 100,  # a cut landing on a space is stripped
]


@pytest.mark.parametrize("title", LONG_TITLES)
@pytest.mark.parametrize("max_bytes", [200, 143, 66])  # 66: an odd number of flag halves fit
def test_long_titles_are_cut_whole_and_fit(title: str, max_bytes: int) -> None:
    name = safe_name(title, ID, "jpg", max_bytes=max_bytes)
    assert_safe(name, ID, "jpg", max_bytes)
    kept = title_part(name, ID, "jpg")
    assert kept
    normal = unicodedata.normalize("NFC", title)
    assert normal.startswith(kept)
    # Cut between user-perceived characters, and close to the limit.
    unit = {"x\u0301": "x\u0301", "👍🏽": "👍🏽", "👨": "👨\u200d👩\u200d👧", "🇫": "🇫🇷🇯🇵"[:2]}
    for start, whole in unit.items():
        if normal.startswith(start):
            assert len(kept) % len(whole) == 0, kept[-4:]
    assert len(name.encode("utf-8")) > max_bytes - 20


@pytest.mark.parametrize("title", ["1 \u226e 2", "1 \u2260 2", "Am\u00e9lie"])
def test_composed_and_decomposed_titles_give_one_name(title: str) -> None:
    # "<" + U+0338 composes to "≮": it must not become "_" + U+0338 first.
    decomposed = unicodedata.normalize("NFD", title)
    assert decomposed != title
    assert safe_name(decomposed, ID, "png") == safe_name(title, ID, "png") == f"{title} [{ID}].png"


def test_a_single_overlong_grapheme_falls_back_to_the_id() -> None:
    assert safe_name("a" + "\u0301\u0302" * 200, ID, "png") == "abc1234.png"


@pytest.mark.parametrize("ident", ["", "../x", "a/b", "abc 12", "abc.1", "COM1", "nul", "é1234",
                                   "x" * 65])
def test_bad_ids_are_refused(ident: str) -> None:
    with pytest.raises(ValueError, match="not an Imgur id"):
        safe_name("t", ident, "png")


@pytest.mark.parametrize("ext", [".png", "PNG", "p/g", "tar.gz", "x" * 11, "jpé"])
def test_bad_extensions_are_refused(ext: str) -> None:
    with pytest.raises(ValueError, match="not a file extension"):
        safe_name("t", ID, ext)


def test_max_bytes_must_leave_room_for_the_suffix() -> None:
    assert safe_name("title", ID, "png", max_bytes=len(" [abc1234].png")) == "abc1234.png"
    with pytest.raises(ValueError, match="no room"):
        safe_name("title", ID, "png", max_bytes=13)


# --- extension --------------------------------------------------------------------------------

@pytest.mark.parametrize(("mime", "link", "animated", "expected"), [
    ("image/jpeg", "https://i.imgur.com/abc1234.jpg", False, "jpg"),
    ("image/jpeg", "https://i.imgur.com/abc1234.jpeg", False, "jpg"),
    ("image/jpeg", "https://i.imgur.com/abc1234.JPEG?x=1#f", False, "jpg"),
    ("image/png", "http://i.imgur.com/abc1234.png", False, "png"),
    ("image/gif", "https://i.imgur.com/q6TxQKyh.gif", True, "gif"),  # original, not mp4
    ("video/mp4", "https://i.imgur.com/abc1234.mp4", True, "mp4"),
    ("image/png", "https://i.imgur.com/abc1234.gif", False, "png"),  # the type wins
    ("image/png", "https://i.imgur.com/abc1234.exe", False, "png"),  # never the link's
    (None, "https://i.imgur.com/abc1234.exe", False, "bin"),
    (None, "https://i.imgur.com/abc1234.gif", False, "gif"),  # no type: a media extension
    (None, "https://i.imgur.com/abc1234.JPEG", False, "jpg"),
    ("application/x-msdownload", "https://i.imgur.com/abc1234.exe", False, "bin"),
    ("image/gif", "https://i.imgur.com/abc1234.gifv", True, "gif"),  # a page, not media
    ("image/png", "https://imgur.com/download/abc1234/undefined", False, "png"),
    ("image/webp", "", False, "webp"),
    ("image/jpeg; charset=binary", None, False, "jpg"),
    ("IMAGE/PNG", None, False, "png"),
    ("video/quicktime", None, False, "mov"),
    ("image/tiff", "https://i.imgur.com/abc1234.tif", False, "tiff"),
    ("application/x-unknown", None, False, "bin"),
    (None, None, False, "bin"),
    (None, None, True, "bin"),
    (None, "https://i.imgur.com/abc1234", False, "bin"),
    (None, "https://i.imgur.com/abc1234.", False, "bin"),
    (None, "https://i.imgur.com/.png", False, "bin"),
    (None, "https://i.imgur.com/a.p%2Fg", False, "bin"),
    (None, "https://i.imgur.com/a.ｐｎｇ", False, "bin"),
    ("image/png", "https://i.imgur.com/a.averyveryverylongext", False, "png"),
])
def test_extension(mime: str | None, link: str | None, animated: bool, expected: str) -> None:
    assert extension(mime, link, animated) == expected


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()), st.booleans())
def test_extension_is_always_a_plain_lowercase_token(mime, link, animated) -> None:
    ext = extension(mime, link, animated)
    assert ext.isascii() and ext.isalnum() and ext == ext.lower() and 1 <= len(ext) <= 10
    safe_name("t", ID, ext)  # always accepted


# --- paths ------------------------------------------------------------------------------------

def test_section_dirs() -> None:
    assert dict(SECTION_DIRS) == {
        "images": "images", "albums": "albums", "favorites": "favorites",
        "gallery_favorites": "gallery-favorites", "messages": "messages", "trash": ".trash",
    }


@pytest.mark.parametrize(("path", "expected"), [
    (image_path("Sunset", "abc1234", "jpg"), "images/Sunset [abc1234].jpg"),
    (image_path(None, "abc1234", "gif"), "images/abc1234.gif"),
    (album_dir("Cats", "AlB12"), "albums/Cats [AlB12]"),
    (album_dir("../..", "AlB12"), "albums/_ [AlB12]"),
    (album_dir(". .", "AlB12"), "albums/AlB12"),
    (album_member_path("Cats", "AlB12", 7, 12, "Tom", "abc1234", "png"),
     "albums/Cats [AlB12]/007 Tom [abc1234].png"),
    (album_member_path("Cats", "AlB12", 1, 1, None, "abc1234", "png"),
     "albums/Cats [AlB12]/001 abc1234.png"),
    (album_member_path(None, "AlB12", 999, 999, "t", "abc1234", "png"),
     "albums/AlB12/999 t [abc1234].png"),
    (album_member_path("Big", "AlB12", 1, 1000, "t", "abc1234", "png"),
     "albums/Big [AlB12]/0001 t [abc1234].png"),
    (album_member_path("Big", "AlB12", 12345, 12345, "t", "abc1234", "png"),
     "albums/Big [AlB12]/12345 t [abc1234].png"),
    (album_member_path("Grew", "AlB12", 1000, 3, "t", "abc1234", "png"),  # stale count
     "albums/Grew [AlB12]/1000 t [abc1234].png"),
    (favorite_path("image", "Fav", "abc1234", "png"), "favorites/Fav [abc1234].png"),
    (favorite_path("image", "Fav", "abc1234", "png", True),
     "gallery-favorites/Fav [abc1234].png"),
    (favorite_path("album", "Trip", "AlB12"), "favorites/Trip [AlB12]"),
    (favorite_path("album", "Trip", "AlB12", gallery=True), "gallery-favorites/Trip [AlB12]"),
    (favorite_album_member_path("Trip", "AlB12", 2, 5, "Beach", "abc1234", "jpg"),
     "favorites/Trip [AlB12]/002 Beach [abc1234].jpg"),
    (favorite_album_member_path("Trip", "AlB12", 2, 5, "Beach", "abc1234", "jpg", True),
     "gallery-favorites/Trip [AlB12]/002 Beach [abc1234].jpg"),
    (message_path("jasdev", 188129), "messages/jasdev [188129].md"),
    (message_path(None, "188129"), "messages/188129.md"),
    (trash_path(PurePosixPath("images/Sunset [abc1234].jpg")),
     ".trash/images/Sunset [abc1234].jpg"),
    (trash_path(PurePosixPath("albums/Cats [AlB12]/007 Tom [abc1234].png")),
     ".trash/albums/Cats [AlB12]/007 Tom [abc1234].png"),
])
def test_paths(path: PurePosixPath, expected: str) -> None:
    assert isinstance(path, PurePosixPath)
    assert str(path) == expected


def test_album_member_names_fit_with_their_position() -> None:
    path = album_member_path("a" * 300, "AlB12", 1, 5000, "b" * 300, "abc1234", "png")
    assert all(len(part.encode()) <= MAX_NAME_BYTES for part in path.parts)
    assert path.name.startswith("0001 bbb") and path.name.endswith(" [abc1234].png")
    assert len(path.name.encode()) == MAX_NAME_BYTES


@pytest.mark.parametrize("call", [
    lambda: album_member_path("a", "AlB12", 0, 3, "t", "abc1234", "png"),
    lambda: favorite_album_member_path("a", "AlB12", -1, 3, "t", "abc1234", "png"),
    lambda: favorite_path("album", "t", "AlB12", "png"),
    lambda: favorite_path("image", "t", "abc1234"),
    lambda: favorite_path("gallery", "t", "abc1234", "png"),
    lambda: trash_path(PurePosixPath("/etc/passwd")),
    lambda: trash_path(PurePosixPath("../outside")),
    lambda: trash_path(PurePosixPath("")),
    lambda: trash_path(PurePosixPath(".trash/images/x.png")),
])
def test_bad_path_arguments_are_refused(call) -> None:
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(("rel", "inside"), [
    ("images/a [abc1234].png", True),
    ("albums/x [AlB12]/001 a.png", True),
    (".trash/images/a.png", True),
    ("", False),
    (".", False),
    ("/etc/passwd", False),
    ("../x", False),
    ("images/../../x", False),
    ("images/..", False),
    ("images/...", False),  # Windows reads ". ." and "..." names as other things
    ("images/. .", False),
    ("a\\..\\..\\x", False),
    ("C:x", False),
    ("nul\0byte", False),
])
def test_is_inside(tmp_path: Path, rel: str, inside: bool) -> None:
    assert is_inside(tmp_path, PurePosixPath(rel)) is inside
    assert is_inside(Path("relative/root"), PurePosixPath(rel)) is inside


# --- properties -------------------------------------------------------------------------------

IDS = st.from_regex(r"[A-Za-z0-9]{5,10}", fullmatch=True)
EXTS = st.sampled_from(["jpg", "png", "gif", "mp4", "md", "bin", ""])
TRICKY = list(" .\t\n\0\x7f\x85\u00a0\u200b\u200c\u200d\u202e\u2066\u2069\ufeff/\\<>:\"|?*")
TRICKY += ["CON", "nul", "LPT1", "\u0301", "\u0338", "🇫", "🏽", "ش", "日", "😀", "é", "x"]
TITLES = st.one_of(
    st.none(),
    st.text(),  # any Unicode text except lone surrogates
    st.text(st.sampled_from([t for t in TRICKY if len(t) == 1])),
    st.lists(st.sampled_from(TRICKY)).map("".join),
)


@settings(max_examples=500)
@given(TITLES, IDS, EXTS, st.integers(40, 255))
def test_safe_name_properties(title: str | None, ident: str, ext: str, max_bytes: int) -> None:
    assert_safe(safe_name(title, ident, ext, max_bytes=max_bytes), ident, ext, max_bytes)


@given(TITLES, TITLES, IDS, IDS, EXTS)
def test_different_ids_never_share_a_name(t1, t2, id1, id2, ext) -> None:
    if id1 != id2:
        assert safe_name(t1, id1, ext) != safe_name(t2, id2, ext)


@given(TITLES, IDS, EXTS)
def test_safe_name_is_deterministic_and_ignores_normal_form(title, ident, ext) -> None:
    name = safe_name(title, ident, ext)
    assert safe_name(title, ident, ext) == name
    if title is not None:
        assert safe_name(unicodedata.normalize("NFD", title), ident, ext) == name


def test_every_code_point_sanitizes_safely() -> None:
    """Walk all of Unicode (in runs of 40) through the checks: a closure the samples can miss."""
    points = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 40):
        name = safe_name("".join(points[start:start + 40]), ID, "png", max_bytes=10_000)
        assert_safe(name, ID, "png", 10_000)


def all_paths(t1, t2, id1, id2, ext, position, count, gallery):
    """Return (path, number of parts, is a folder) for every path function."""
    ext = ext or "png"
    return [
        (image_path(t1, id1, ext), 2, False),
        (album_dir(t1, id1), 2, True),
        (album_member_path(t1, id1, position, count, t2, id2, ext), 3, False),
        (favorite_path("image", t1, id1, ext, gallery), 2, False),
        (favorite_path("album", t1, id1, gallery=gallery), 2, True),
        (favorite_album_member_path(t1, id1, position, count, t2, id2, ext, gallery), 3, False),
        (message_path(t1, id1), 2, False),
    ]


PATH_ARGS = st.tuples(TITLES, TITLES, IDS, IDS, EXTS, st.integers(1, 20_000),
                      st.integers(0, 20_000), st.booleans())


@settings(max_examples=300)
@given(PATH_ARGS)
def test_every_path_stays_inside_the_root(args) -> None:
    for path, parts, _ in all_paths(*args):
        assert not path.is_absolute()
        assert len(path.parts) == parts, path
        assert path.parts[0] in SECTION_DIRS.values()
        assert not {"", ".", ".."} & set(path.parts)
        assert is_inside(Path("/mirror"), path), path
        trashed = trash_path(path)
        assert trashed.parts[1:] == path.parts and is_inside(Path("/mirror"), trashed)


@settings(max_examples=200, deadline=None)
@given(args=PATH_ARGS)
def test_the_filesystem_accepts_every_name(tmp_path_factory, args) -> None:
    root = tmp_path_factory.mktemp("mirror")
    for rel, _, is_folder in all_paths(*args):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if is_folder:
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(b"x")
        assert target.is_dir() if is_folder else target.is_file()
        assert rel.name in os.listdir(target.parent)  # stored under exactly that name
        assert target.resolve().relative_to(root.resolve()) == Path(rel)
    shutil.rmtree(root)


@settings(max_examples=300, deadline=None)
@given(title=st.one_of(st.none(), st.text(max_size=300)),
       ident=st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True),
       ext=st.sampled_from(["png", "jpg", "gif", "mp4"]), position=st.integers(1, 1500))
def test_every_name_made_gives_back_its_id_and_extension(title: str | None, ident: str,
                                                         ext: str, position: int) -> None:
    # A lost database is rebuilt from the files by the ids in their names.
    if ident.upper() in WINDOWS_RESERVED:
        return
    for path in (image_path(title, ident, ext),
                 album_member_path("Album", "xyz", position, 1500, title, ident, ext)):
        assert id_in_name(path.name) == (ident, ext), path.name


@pytest.mark.parametrize("name", ["my notes.txt", "Sleepy cat [abc].PNG", "[a_b].png",
                                  "album.json.x", "Sleepy cat [abc]", ""])
def test_names_without_an_id_give_none(name: str) -> None:
    assert id_in_name(name) is None
