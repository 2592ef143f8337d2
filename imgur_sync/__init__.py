"""imgur-sync: mirror an Imgur account to local disk and keep it in sync."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "lazy_face"]


def lazy_face(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a package's ``__getattr__`` that imports each name of its face on first use.

    ``homes`` maps a name to the module of the package that defines it; so importing one
    pure part (``imgur_sync.mirror.plan``) does not load the API client the rest needs.
    """

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{homes[name]}"), name)

    return __getattr__
