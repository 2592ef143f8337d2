"""Remote object → local relative path (docs/ARCHITECTURE.md §Folder tree), and safe names.

Pure: no I/O; the standard library and ``imgur_sync.sections`` (the folders) only. Every
function takes plain values (rows from the store work as well as API objects) and returns
names or relative ``PurePosixPath``s; and ``render_transcript`` writes what a
conversation's file holds.

A name is ``"<title> [<id>].<ext>"`` (folders: no ``.<ext>``). Choices, so callers can
rely on them:

- A title that is empty, ``None`` or nothing but junk (spaces, dots, control or format
  characters) gives just ``"<id>.<ext>"`` (folders: ``"<id>"``); album members keep their
  position: ``"007 <id>.<ext>"``.
- Path separators and the characters Windows forbids (``/ \\ < > : " | ? *``) become ``_``:
  a lookalike such as ``∕`` would let a name show a path it does not have.
- Whitespace runs (tabs, newlines, NBSP, ...) become one space; other control characters
  (C0, DEL, C1), lone surrogates and format characters (bidi marks, overrides and
  isolates, zero-width spaces, BOM, soft hyphen) are dropped, except ZWJ and ZWNJ inside
  a title, which emoji sequences and several scripts need.
- Text is NFC; leading and trailing spaces and dots are stripped (no hidden files, no
  names Windows would silently trim).
- A title whose part before its first dot is a reserved Windows device name (``CON``,
  ``con.txt``, ``LPT1.x``) gets that dot turned into ``_`` (``con_txt``); a title without a
  dot never forms a reserved name, since `` [<id>]`` follows it.
- The title is cut so the whole name fits ``max_bytes`` of UTF-8 (``MAX_NAME_BYTES``, 200,
  by default; album members count their ``NNN `` prefix too), at a character boundary that
  does not split a combining mark, a ZWJ sequence, an emoji modifier or a flag from its
  base. The `` [<id>].<ext>`` suffix is never cut.
- Album positions are 1-based, zero-padded to 3 digits, wider for albums of 1000 or more.
- Ids must be ``[A-Za-z0-9]{1,64}`` (and not a device name), extensions ``[a-z0-9]{1,10}``;
  anything else, or a ``max_bytes`` too small for the suffix, raises ``ValueError``.

Ids that differ only in case (Imgur's are case-sensitive) give names that differ only in
case: on a case-insensitive filesystem they collide, which this module cannot prevent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from .. import sections

__all__ = [
    "ALBUMS_DIR", "FAVORITES_DIR", "GALLERY_FAVORITES_DIR", "IMAGES_DIR", "MAX_NAME_BYTES",
    "MESSAGES_DIR", "SECTION_DIRS", "TRASH_DIR", "album_dir", "album_member_path", "extension",
    "favorite_album_member_path", "favorite_path", "id_in_name", "image_path", "is_id",
    "is_inside",
    "message_path", "render_transcript", "safe_name", "trash_path",
]

IMAGES_DIR = sections.get("images").folder
ALBUMS_DIR = sections.get("albums").folder
FAVORITES_DIR = sections.get("favorites").folder
GALLERY_FAVORITES_DIR = sections.get("gallery_favorites").folder
MESSAGES_DIR = sections.get("messages").folder
TRASH_DIR = ".trash"
#: Default byte limit of a name: room under the common 255-byte limit for a temporary prefix.
MAX_NAME_BYTES = 200


class _SectionDirs(Mapping[str, str]):
    """Section (as named in the config's ``include``, plus ``trash``) → folder under the root.

    A live view of ``imgur_sync.sections``: a section registered later has its folder here.
    """

    def _dirs(self) -> dict[str, str]:
        return {**sections.folders(), "trash": TRASH_DIR}

    def __getitem__(self, name: str) -> str:
        return self._dirs()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dirs())

    def __len__(self) -> int:
        return len(self._dirs())


SECTION_DIRS: Mapping[str, str] = _SectionDirs()

_ZWNJ, _ZWJ = "\u200c", "\u200d"
_EDGE_JUNK = " ." + _ZWNJ + _ZWJ
_FORBIDDEN = frozenset('/\\<>:"|?*')
_IDENT = re.compile(r"[A-Za-z0-9]{1,64}")
# A file name this module makes: "<title> [<id>].<ext>", "<NNN> <title> [<id>].<ext>",
# or untitled "<id>.<ext>" / "<NNN> <id>.<ext>".
_NAMED = re.compile(r"(?:.*\[([A-Za-z0-9]{1,64})\]|(?:\d{3,} )?([A-Za-z0-9]{1,64}))"
                    r"\.([a-z0-9]{1,10})", re.DOTALL)
_EXT = re.compile(r"[a-z0-9]{1,10}")
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]]
)
# Spellings of the same file type a link may use.
_EXT_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "jfif": "jpg", "tif": "tiff", "mpeg": "mpg"}
# A fixed table rather than ``mimetypes``, whose answers depend on the machine's files.
_MIME_EXT = {
    "image/jpeg": "jpg", "image/jpg": "jpg", "image/pjpeg": "jpg", "image/png": "png",
    "image/apng": "png", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
    "image/heic": "heic", "image/heif": "heif", "image/tiff": "tiff", "image/bmp": "bmp",
    "image/svg+xml": "svg", "video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov",
    "video/x-matroska": "mkv", "video/x-flv": "flv", "video/x-msvideo": "avi",
    "video/avi": "avi", "video/mpeg": "mpg", "video/x-ms-wmv": "wmv", "video/3gpp": "3gp",
}
# The only extensions a file gets: a link's own is taken only when it is one of these.
_MEDIA_EXTS = frozenset(_MIME_EXT.values())


def _keep(ch: str) -> str:
    """Return what ``ch`` becomes in a title: itself, a space, ``_`` or nothing."""
    if ch in _FORBIDDEN:
        return "_"
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs") or (category == "Cf" and ch not in (_ZWNJ, _ZWJ)):
        return ""
    return ch


def _defuse_reserved(title: str) -> str:
    stem, dot, rest = title.partition(".")
    return f"{stem}_{rest}" if dot and stem.rstrip(" ").upper() in _RESERVED else title


def _extends(ch: str) -> bool:
    """Say whether ``ch`` belongs to the character before it (approximate grapheme rules)."""
    return (
        unicodedata.category(ch)[0] == "M"
        or ch in (_ZWNJ, _ZWJ)
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # emoji skin-tone modifiers
        or "\u1160" <= ch <= "\u11ff" or "\ud7b0" <= ch <= "\ud7ff"  # Hangul vowel/final jamo
    )


def _is_flag_half(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _can_cut(text: str, i: int) -> bool:
    """Say whether ``text[:i]`` ends at a boundary between user-perceived characters."""
    if i in (0, len(text)):
        return True
    if _extends(text[i]) or text[i - 1] == _ZWJ:
        return False
    if _is_flag_half(text[i]):
        run = 0
        while i - run > 0 and _is_flag_half(text[i - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def _truncate(text: str, budget: int) -> str:
    """Return the longest boundary-respecting prefix of ``text`` within ``budget`` bytes."""
    if len(text.encode("utf-8")) <= budget:
        return text
    used, best = 0, 0
    for i, ch in enumerate(text):
        if _can_cut(text, i):
            best = i
        used += len(ch.encode("utf-8"))
        if used > budget:
            break
    return text[:best]


def _clean_title(title: str | None) -> str:
    # NFC first so "≮" and "<" + U+0338 give one name; again after dropping characters.
    text = unicodedata.normalize("NFC", title or "")
    text = unicodedata.normalize("NFC", "".join(map(_keep, text)))
    return re.sub(" {2,}", " ", text).strip(_EDGE_JUNK)


def is_id(text: object) -> bool:
    """Say whether ``text`` can name an item: ``[A-Za-z0-9]{1,64}`` and no device name."""
    return isinstance(text, str) and bool(_IDENT.fullmatch(text)) and text.upper() not in _RESERVED


def id_in_name(name: str) -> tuple[str, str] | None:
    """Return the id and extension a file name made here carries, or None if it has none."""
    found = _NAMED.fullmatch(name)
    if found is None:
        return None
    ident = found[1] or found[2]
    return (ident, found[3]) if is_id(ident) else None


def _name(title: str | None, ident: str, ext: str, max_bytes: int, prefix: str = "") -> str:
    if not is_id(ident):
        raise ValueError(f"not an Imgur id: {ident!r}")
    if ext and not _EXT.fullmatch(ext):
        raise ValueError(f"not a file extension: {ext!r}")
    dot_ext = f".{ext}" if ext else ""
    suffix = f" [{ident}]{dot_ext}"
    budget = max_bytes - len(prefix.encode("utf-8")) - len(suffix)
    if budget < 0:
        raise ValueError(f"max_bytes={max_bytes} leaves no room for {prefix}{suffix!r}")
    text = _defuse_reserved(_truncate(_clean_title(title), budget).strip(_EDGE_JUNK))
    return f"{prefix}{text}{suffix}" if text else f"{prefix}{ident}{dot_ext}"


def safe_name(title: str | None, ident: str, ext: str = "", *,
              max_bytes: int = MAX_NAME_BYTES) -> str:
    """Return the file (or, without ``ext``, folder) name for an object: see the module notes."""
    return _name(title, ident, ext, max_bytes)


def extension(mime_type: str | None, link: str | None, animated: bool = False) -> str:
    """Return the file extension (no dot) from the MIME type, else the link, else ``bin``.

    The link is the server's word only: its extension is taken when the MIME type is
    unknown, and only when it names a media type (never ``.exe``, ``.gifv`` or ``.html``).
    ``animated`` never changes the answer: the mirror keeps the original (a GIF stays
    ``gif``), not the mp4 Imgur also serves. It is accepted so rows can be passed as-is.
    """
    mime = (mime_type or "").partition(";")[0].strip().lower()
    if mime in _MIME_EXT:
        return _MIME_EXT[mime]
    if link:
        last = urlsplit(link).path.rpartition("/")[2]
        stem, dot, ext = last.rpartition(".")
        ext = _EXT_ALIASES.get(ext.lower(), ext.lower())
        if stem and dot and ext in _MEDIA_EXTS:
            return ext
    return "bin"


def _position(position: int, count: int) -> str:
    if position < 1:
        raise ValueError(f"album positions start at 1, not {position}")
    return f"{position:0{max(3, len(str(max(count, position))))}d} "


def image_path(title: str | None, image_id: str, ext: str) -> PurePosixPath:
    """Return ``images/<title> [<id>].<ext>``: the one real file of an owned image."""
    return PurePosixPath(IMAGES_DIR, safe_name(title, image_id, ext))


def album_dir(title: str | None, album_id: str) -> PurePosixPath:
    """Return ``albums/<title> [<id>]``."""
    return PurePosixPath(ALBUMS_DIR, safe_name(title, album_id))


def _member(album: PurePosixPath, position: int, count: int, title: str | None,
            image_id: str, ext: str) -> PurePosixPath:
    return album / _name(title, image_id, ext, MAX_NAME_BYTES, prefix=_position(position, count))


def album_member_path(album_title: str | None, album_id: str, position: int, count: int,
                      image_title: str | None, image_id: str, ext: str) -> PurePosixPath:
    """Return ``albums/<album> [<id>]/<NNN> <title> [<image id>].<ext>`` (1-based NNN)."""
    return _member(album_dir(album_title, album_id), position, count, image_title, image_id, ext)


def favorite_path(kind: str, title: str | None, ident: str, ext: str = "",
                  gallery: bool = False) -> PurePosixPath:
    """Return a favorite's file (``kind="image"``) or folder (``kind="album"``, no ``ext``)."""
    if kind not in ("image", "album") or (kind == "album") == bool(ext):
        raise ValueError(f"favorite_path: kind={kind!r} with ext={ext!r}")
    section = GALLERY_FAVORITES_DIR if gallery else FAVORITES_DIR
    return PurePosixPath(section, safe_name(title, ident, ext))


def favorite_album_member_path(album_title: str | None, album_id: str, position: int,
                               count: int, image_title: str | None, image_id: str, ext: str,
                               gallery: bool = False) -> PurePosixPath:
    """Return ``[gallery-]favorites/<album> [<id>]/<NNN> <title> [<image id>].<ext>``."""
    folder = favorite_path("album", album_title, album_id, gallery=gallery)
    return _member(folder, position, count, image_title, image_id, ext)


def message_path(with_account: str | None, conversation_id: str | int) -> PurePosixPath:
    """Return ``messages/<with account> [<conversation id>].md``."""
    return PurePosixPath(MESSAGES_DIR, safe_name(with_account, str(conversation_id), "md"))


def trash_path(rel: PurePosixPath) -> PurePosixPath:
    """Return where ``on_remote_delete = "trash"`` moves ``rel``: the same path under .trash/."""
    rel = PurePosixPath(rel)
    if not is_inside(Path("/"), rel) or rel.parts[0] == TRASH_DIR:
        raise ValueError(f"cannot trash {str(rel)!r}")
    return PurePosixPath(TRASH_DIR, rel)


def is_inside(root: Path, rel: PurePosixPath | str) -> bool:
    """Say whether ``root / rel`` stays inside ``root``, lexically (symlinks are not followed).

    Strict on purpose: besides absolute paths and ``..``, it refuses parts that mean
    something else on Windows (drive letters, backslashes, names of only dots and spaces).
    """
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute():
        return False
    for part in parts:
        if not part.strip(". ") or any(ch in part for ch in "\\:\0"):
            return False
    joined = PurePosixPath(root.as_posix(), *parts)
    return PurePosixPath(root.as_posix()) in joined.parents


def render_transcript(who: str, messages: list[dict[str, Any]]) -> str:
    """Return a conversation as Markdown a person can read."""
    lines = [f"# Conversation with {who}", "",
             f"{len(messages)} message{'s' if len(messages) != 1 else ''}, "
             "mirrored by imgur-sync.", ""]
    for message in messages:
        when = datetime.fromtimestamp(message["datetime"] or 0, timezone.utc)
        lines += [f"**{message['sender']}**, {when:%Y-%m-%d %H:%M} UTC", "",
                  *(f"> {line}" if line else ">" for line in (message["body"] or "").split("\n")),
                  ""]
    return "\n".join(lines)
