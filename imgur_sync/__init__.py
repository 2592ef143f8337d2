"""imgur-sync: mirror an Imgur account to local disk and keep it in sync."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
