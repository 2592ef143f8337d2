"""The mirrored sections, defined once: name, folder, file roles, default, description.

Pure data, standard library only, so every layer reads it: the config checks ``include``
against it, the command line lists it in ``--only``, the layout takes its folders, the store
its file roles, verify its canonical order, the status its per-section file counts. What
the pull runs for a section (its fetch step) is registered in ``imgur_sync.mirror.pull``
against the section's name, since this module imports nothing of ours.

The order is the one the config and the help texts list them in. The order the pull
fetches them in is its own (``pull.STEPS``), and so is the order in which an image's places
compete to hold its one real file (``plan.place_order``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["Section", "added", "by_role", "defaults", "file_roles", "folders", "get", "names",
           "sections"]


@dataclass(frozen=True)
class Section:
    """One kind of thing the pull mirrors, as the config's ``include`` names it."""

    name: str
    folder: str  # its folder under the mirror root
    roles: tuple[str, ...]  # the roles its files are recorded with in the store
    default: bool  # on when the config's ``include`` is not set
    description: str  # one line for help texts


_SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("albums", "albums", ("album",), True,
            "the account's albums, a folder each, linking to their images"),
    Section("images", "images", ("image",), True, "the account's own images"),
    Section("favorites", "favorites", ("favorite",), True, "the account's favorites"),
    Section("gallery_favorites", "gallery-favorites", ("gallery_favorite",), True,
            "the account's gallery favorites"),
    Section("messages", "messages", ("message",), True,
            "the account's conversations, as one transcript file each"),
)}


def sections() -> tuple[Section, ...]:
    """Return every section."""
    return tuple(_SECTIONS.values())


def names() -> tuple[str, ...]:
    """Return every section's name."""
    return tuple(_SECTIONS)


def defaults() -> tuple[str, ...]:
    """Return the names of the sections mirrored when the config does not say."""
    return tuple(s.name for s in _SECTIONS.values() if s.default)


def get(name: str) -> Section:
    """Return the section called ``name``; KeyError when there is none."""
    return _SECTIONS[name]


def folders() -> dict[str, str]:
    """Map each section's name to its folder under the mirror root."""
    return {s.name: s.folder for s in _SECTIONS.values()}


def file_roles() -> tuple[str, ...]:
    """Return every file role."""
    return tuple(role for s in _SECTIONS.values() for role in s.roles)


def by_role(role: str) -> Section | None:
    """Return the section whose files have ``role``, or None."""
    return next((s for s in _SECTIONS.values() if role in s.roles), None)


@contextmanager
def added(section: Section) -> Iterator[Section]:
    """Register ``section`` (after the others) for the duration of a ``with`` block.

    For tests and experiments: a section that ships is one more entry in the list above.
    """
    if section.name in _SECTIONS or set(section.roles) & set(file_roles()):
        raise ValueError(f"a section named {section.name!r} or with its roles exists already")
    _SECTIONS[section.name] = section
    try:
        yield section
    finally:
        del _SECTIONS[section.name]
