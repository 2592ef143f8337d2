"""Imgur's objects as PyImgur 0.5.3 documents them: ``Basic_object``, ``Image`` and ``Album``.

The galleries and comments live in ``gallery.py``; users, messages and notifications in
``social.py``. Every object follows PRAW's lazy contract (STYLE.md habit 3):

- building an object does no I/O: nested objects (an album's cover, an image's author) are
  created unfetched from the id the JSON names;
- reading a public attribute the object does not have fetches the whole object once
  (``_has_fetched`` turns True); a name still missing afterwards raises ``AttributeError``;
- names starting with ``_`` never fetch, and neither does ``repr()``;
- equality and hashing go by kind (an ``Image`` equals the ``Gallery_image`` with its id)
  and id;
- ``raw`` keeps a copy of the JSON Imgur sent.

Engine code should call ``refresh()`` (or the ``Imgur.get_*`` methods) explicitly; the
hidden fetch is for interactive use.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

from .download import save_media, valid_filename
from .errors import Forbidden, UsageError
from .urls import THUMBNAIL_SIZES, thumbnail_link

if TYPE_CHECKING:
    from .client import Imgur

__all__ = ["Album", "BasicObject", "Basic_object", "Image"]

_PACKAGE = __name__.rpartition(".")[0] + "."
# Imgur's JSON names -> PyImgur's attribute names (the originals stay in ``raw``).
_RENAMES = {"favorite": "is_favorited", "nsfw": "is_nsfw", "animated": "is_animated"}


def quoted(value: object) -> str:
    """Return ``value`` as one URL path segment."""
    return quote(str(value), safe="")


def form_value(value: object) -> str:
    """Return ``value`` as Imgur's forms spell it (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_list(items: Any) -> list[Any]:
    """Return ``items`` as a list; one id or one object counts as a list of one."""
    if items is None:
        return []
    if isinstance(items, (str, int, Basic_object)):
        return [items]
    return list(items)


def id_of(item: object) -> str:
    """Return the id of an object, or the id itself."""
    if isinstance(item, Basic_object):
        return str(item.__dict__["id"])
    return str(item)


class Basic_object:  # PyImgur's documented name; BasicObject is the PEP 8 alias
    """Contains basic functionality shared by a lot of Pyimgur's classes."""

    _family: ClassVar[str] = "object"
    _renames: ClassVar[Mapping[str, str]] = {}
    _defaults: ClassVar[Mapping[str, Any]] = {}
    _repr_fields: ClassVar[tuple[str, ...]] = ("id", "title")
    _registry: ClassVar[dict[str, type[Basic_object]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Lazy nested objects are built by class name; a caller's own subclass named
        # "Image" must not take the place of ours.
        if cls.__module__.startswith(_PACKAGE):
            Basic_object._registry[cls.__name__] = cls

    def __init__(self, json_dict: Mapping[str, Any], imgur: Imgur,
                 has_fetched: bool = True) -> None:
        """Build the object from Imgur's JSON; ``has_fetched=False`` makes it lazy."""
        self._imgur = imgur
        self._has_fetched = has_fetched
        self.raw: dict[str, Any] = {}
        self.__dict__.update(copy.deepcopy(dict(self._defaults)))
        self._populate(json_dict)

    # -- the lazy contract ------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup failed. Private and dunder names never fetch, so
        # copy, pickle and introspection cannot cause network calls.
        if name.startswith("_") or self.__dict__.get("_has_fetched", True):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.refresh()
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r} "
                                 "(not even after fetching it from Imgur)") from None

    def refresh(self) -> Basic_object:
        """Refresh this objects attributes to the newest values.

        Attributes that weren't added to the object before, due to lazy loading, will be
        added by calling refresh.
        """
        self._populate(self._call("GET", self._info_path()))
        self._has_fetched = True
        return self

    def _populate(self, json_dict: Mapping[str, Any]) -> None:
        data = copy.deepcopy(dict(json_dict))
        self.raw = {**self.raw, **copy.deepcopy(data)}
        cls = type(self)
        renames = {**_RENAMES, **self._renames} if self._family in ("image", "album") else (
            self._renames)
        for key, value in data.items():
            name = renames.get(key, key)
            # A JSON key must never hide a method (Imgur sends "favorite"; Album has one).
            if name.startswith("_") or callable(getattr(cls, name, None)):
                continue
            self.__dict__[name] = value
        self._convert(data)

    def _convert(self, data: dict[str, Any]) -> None:
        """Turn ids in ``data`` into (lazy) objects; subclasses extend this."""

    def _info_path(self) -> str:
        raise NotImplementedError

    def _forget(self, *names: str) -> None:
        """Drop attributes the server has changed, so the next read fetches them again."""
        for name in names:
            self.__dict__.pop(name, None)
        self._has_fetched = False

    # -- helpers ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._imgur._transport.request(method, path, **kwargs)

    def _lazy(self, cls_name: str, json_dict: Mapping[str, Any]) -> Any:
        """Return an unfetched object of class ``cls_name`` (no I/O)."""
        return self._registry[cls_name](json_dict, self._imgur, has_fetched=False)

    def _user_or_none(self, username: object) -> Any:
        return self._lazy("User", {"url": username}) if username else None

    def _ident(self) -> str:
        return str(self.__dict__["id"])

    def _key(self) -> tuple[str, str] | None:
        ident = self.__dict__.get("id")
        return None if ident is None else (self._family, str(ident))

    def __deepcopy__(self, memo: dict[int, Any]) -> Basic_object:
        # A copy of the data, talking through the same client (a session is not copyable).
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            clone.__dict__[key] = value if key == "_imgur" else copy.deepcopy(value, memo)
        return clone

    # -- identity --------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Basic_object):
            return NotImplemented
        key = self._key()
        return self is other if key is None else key == other._key()

    def __hash__(self) -> int:
        key = self._key()
        return id(self) if key is None else hash(key)

    def __repr__(self) -> str:
        shown = [f"{name}={self.__dict__[name]!r}" for name in self._repr_fields
                 if self.__dict__.get(name) is not None]
        return f"<{type(self).__name__}{' ' if shown else ''}{' '.join(shown)}>"


BasicObject = Basic_object


class Image(Basic_object):
    """An image uploaded to Imgur.

    Variables as PyImgur documents them: bandwidth, datetime, deletehash, description,
    height, id, is_animated, is_favorited, is_nsfw, link, link_big_square,
    link_huge_thumbnail, link_large_square, link_large_thumbnail, link_medium_thumbnail,
    link_small_square (and link_small_thumbnail), section, size, title, views, width;
    plus ``author``, the uploader as a lazy ``User`` (None when anonymous).
    """

    _family = "image"
    _defaults: ClassVar[Mapping[str, Any]] = {"deletehash": None}

    def _info_path(self) -> str:
        return f"3/image/{quoted(self._ident())}"

    def _convert(self, data: dict[str, Any]) -> None:
        if "account_url" in data:
            self.author = self._user_or_none(data["account_url"])
        link = data.get("link")
        if isinstance(link, str) and link:
            for size in THUMBNAIL_SIZES:
                self.__dict__[f"link_{size}"] = _thumbnail(link, size)
            # Documented by PyImgur, though Imgur has no "large square": the big square
            # (160x160) is the largest square thumbnail there is.
            self.link_large_square = self.__dict__["link_big_square"]

    def _edit_key(self) -> str:
        """The deletehash when acting anonymously, else the id (docs/IMGUR-API.md §Writes)."""
        deletehash = self.__dict__.get("deletehash")
        if deletehash and not self._imgur._transport.has_user:
            return deletehash
        return self._ident()

    def delete(self) -> Any:
        """Delete the image."""
        return self._call("DELETE", f"3/image/{quoted(self._edit_key())}")

    def download(self, path: str | os.PathLike[str] | None = "", name: str | None = None,
                 overwrite: bool = False, size: str | None = None) -> str:
        """Download the image.

        The file goes to the folder ``path`` (the current directory when it is empty or
        None) and is named ``name``, else the image's title, else its id, plus the
        thumbnail letter and the link's extension. A name or title that is not a valid
        file name falls back to the id (the "hash"). An existing file raises
        ``FileExistsError`` unless ``overwrite``. ``size`` picks a thumbnail:
        small_square, big_square, small_thumbnail, medium_thumbnail, large_thumbnail or
        huge_thumbnail. Returns the new file's name (joined to ``path``).
        """
        suffix = ""
        url = self.link
        if size is not None:
            wanted = str(size).lower().replace(" ", "_")
            if wanted not in THUMBNAIL_SIZES:
                raise UsageError(f"Invalid size {size!r}. Valid options are: "
                                 f"{', '.join(THUMBNAIL_SIZES)}")
            suffix = THUMBNAIL_SIZES[wanted]
            url = _thumbnail(url, wanted)
        ext = os.path.splitext(urlsplit(url).path)[1]
        stems = [s for s in (name, self.__dict__.get("title")) if s]
        candidates = [f"{stem}{suffix}{ext}" for stem in stems[:1]]
        candidates = [c for c in candidates if valid_filename(c)]
        candidates.append(f"{self._ident()}{suffix}{ext}")
        folder = os.fspath(path) if path else ""
        return save_media(self._imgur._transport, url, folder, candidates, overwrite=overwrite)

    def favorite(self) -> bool:
        """Favorite the image; favoriting an already favorited image will unfavorite it.

        Returns the new state (True when the image is now a favorite).
        """
        answer = self._call("POST", f"3/image/{quoted(self._ident())}/favorite", auth="user")
        self.is_favorited = answer == "favorited"
        return self.is_favorited

    def submit_to_gallery(self, title: str, bypass_terms: bool = False) -> Image:
        """Add this to the gallery; this object becomes a ``Gallery_image``.

        Require that the authenticated user has accepted gallery terms and verified their
        email; ``bypass_terms`` accepts the terms on the way.
        """
        return _submit(self, "image", title, bypass_terms)

    def update(self, title: str | None = None, description: str | None = None) -> bool:
        """Update the image with a new title and/or description (None keeps the old one)."""
        fields = {k: v for k, v in (("title", title), ("description", description))
                  if v is not None}
        if not fields:
            return True
        answer = self._call("POST", f"3/image/{quoted(self._edit_key())}", data=fields)
        self.__dict__.update(fields)
        return bool(answer)


class Album(Basic_object):
    """An album is a collection of images.

    Variables as PyImgur documents them: author (a lazy ``User``, None if anonymous),
    cover (a lazy ``Image``, None without one), datetime, deletehash, description, id,
    images (``Image`` objects; reading it on an album from a listing fetches the album),
    is_favorited, is_nsfw, layout, link, public (the privacy level, also ``privacy``),
    section, title, views.
    """

    _family = "album"
    _defaults: ClassVar[Mapping[str, Any]] = {"deletehash": None}

    def _info_path(self) -> str:
        return f"3/album/{quoted(self._ident())}"

    def _convert(self, data: dict[str, Any]) -> None:
        if "account_url" in data:
            self.author = self._user_or_none(data["account_url"])
        if "privacy" in data:
            self.public = data["privacy"]
        if data.get("images") is not None:
            self.images = [Image(i, self._imgur) for i in data["images"]]
        elif "images" in data:  # null: not sent (favorites), not "no images"; reading fetches
            self.__dict__.pop("images", None)
            self._has_fetched = False
        if "cover" in data:
            cover = data["cover"]
            known = {i.id: i for i in self.__dict__.get("images") or []}
            self.cover = known.get(cover) or (self._lazy("Image", {"id": cover})
                                              if cover else None)

    def _edit_key(self) -> str:
        deletehash = self.__dict__.get("deletehash")
        if deletehash and not self._imgur._transport.has_user:
            return deletehash
        return self._ident()

    def add_images(self, images: Any) -> bool:
        """Add images (Image objects, ids or both) to the album.

        Images that you cannot add (non-existing or not owned by you) do not cause
        exceptions but fail silently.
        """
        if not as_list(images):
            return True
        path = f"3/album/{quoted(self._edit_key())}/add"
        try:
            answer = self._call("POST", path, data=image_form(self._imgur, images))
        except Forbidden:
            # Imgur refuses the whole call when one image is not the caller's ("You must
            # own all the image ids…"); PyImgur documents a silent skip, which setting
            # the full list gives (set-images skips what is not yours).
            current = [i["id"] for i in self._call(
                "GET", f"3/album/{quoted(self._ident())}/images")]
            wanted = current + [i for i in (id_of(x) for x in as_list(images))
                                if i not in current]
            return self.set_images(wanted)
        self._forget("images")
        return bool(answer)

    def delete(self) -> Any:
        """Delete this album."""
        return self._call("DELETE", f"3/album/{quoted(self._edit_key())}")

    def favorite(self) -> bool:
        """Favorite the album; favoriting an already favorited album will unfavor it.

        Returns the new state.
        """
        answer = self._call("POST", f"3/album/{quoted(self._ident())}/favorite", auth="user")
        self.is_favorited = answer == "favorited"
        return self.is_favorited

    def remove_images(self, images: Any) -> bool:
        """Remove images (Image objects, ids or both) from the album; misses fail silently."""
        if not as_list(images):
            return True
        answer = self._call("POST", f"3/album/{quoted(self._edit_key())}/remove_images",
                            data=image_form(self._imgur, images))
        self._forget("images", "cover")
        return bool(answer)

    def set_images(self, images: Any) -> bool:
        """Set the images in this album (Image objects, ids or both); misses fail silently."""
        answer = self._call("POST", f"3/album/{quoted(self._edit_key())}",
                            data=image_form(self._imgur, images))
        self._forget("images", "cover")
        return bool(answer)

    def submit_to_gallery(self, title: str, bypass_terms: bool = False) -> Album:
        """Add this to the gallery; this object becomes a ``Gallery_album``.

        Require that the authenticated user has accepted gallery terms and verified their
        email; ``bypass_terms`` accepts the terms on the way.
        """
        return _submit(self, "album", title, bypass_terms)

    def update(self, title: str | None = None, description: str | None = None,
               images: Any = None, cover: Any = None, layout: str | None = None,
               privacy: str | None = None) -> bool:
        """Update the album's information; arguments left at None keep their old values.

        ``images`` replaces the album's images (Image objects, ids or both), ``cover`` is
        an Image or an image id, ``layout`` blog|grid|horizontal|vertical and ``privacy``
        public|hidden|secret.
        """
        fields = [(k, v) for k, v in (("title", title), ("description", description),
                                      ("layout", layout), ("privacy", privacy))
                  if v is not None]
        form = [*fields]
        if cover is not None:
            form.append(("cover", id_of(cover)))
        if images is not None:
            form += image_form(self._imgur, images)
        if not form:
            return True
        answer = self._call("PUT", f"3/album/{quoted(self._edit_key())}", data=form)
        self.__dict__.update(fields)
        if privacy is not None:
            self.public = privacy
        if images is not None:
            self._forget("images", "cover")
        elif cover is not None:
            self.cover = cover if isinstance(cover, Image) else self._lazy(
                "Image", {"id": cover})
        return bool(answer)


def image_form(imgur: Imgur, images: Any) -> list[tuple[str, str]]:
    """Return the form fields naming ``images``: ``ids[]``, or ``deletehashes[]`` for
    anonymous images when nobody is signed in. An empty list sends an empty ``ids``."""
    anonymous = not imgur._transport.has_user
    form: list[tuple[str, str]] = []
    for item in as_list(images):
        deletehash = item.__dict__.get("deletehash") if isinstance(item, Image) else None
        if anonymous and deletehash:
            form.append(("deletehashes[]", deletehash))
        else:
            form.append(("ids[]", id_of(item)))
    return form or [("ids", "")]


def _thumbnail(link: str, size: str) -> str:
    try:
        return thumbnail_link(link, size)
    except ValueError:  # not a media link with an extension: put the letter at the end
        return link + THUMBNAIL_SIZES[size]


def _submit(item: Image | Album, kind: str, title: str, bypass_terms: bool) -> Any:
    """Share ``item`` to the gallery and turn it into its gallery class (as PyImgur does)."""
    item._call("POST", f"3/gallery/{kind}/{quoted(item._ident())}", auth="user",
               data={"title": title, "terms": "1" if bypass_terms else "0"})
    data = item._call("GET", f"3/gallery/{kind}/{quoted(item._ident())}")
    item.__class__ = item._registry["Gallery_image" if kind == "image" else "Gallery_album"]
    item._populate(data)
    item._has_fetched = True
    return item

