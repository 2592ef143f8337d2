"""Walk Imgur's paged listings lazily.

Imgur pages are numbered from 0 and end with the first page that comes back empty; no
listing says how many pages it has, and page sizes differ by route and over time
(docs/IMGUR-API.md §Endpoints), so nothing here assumes a size. The legacy conversation routes count
from 1: pass ``start=1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = ["iter_pages"]

T = TypeVar("T")


def iter_pages(fetch: Callable[[int], Sequence[T] | None], *, start: int = 0,
               limit: int | None = None) -> Iterator[T]:
    """Yield the items of pages ``start``, ``start + 1``, … until an empty page or ``limit``.

    ``fetch(page)`` is only called as the iterator is consumed, and never for a page past
    the one that fills ``limit``.
    """
    if limit is not None and limit <= 0:
        return
    count = 0
    page = start
    while True:
        items = fetch(page)
        if not items:
            return
        for item in items:
            yield item
            count += 1
            if limit is not None and count >= limit:
                return
        page += 1
