"""The upload: files dropped into mapped folders go to Imgur albums, then into the mirror.

- ``folders.py``: :class:`DropFolders`, the loop (scan, watch, wait for quiet, upload);
- ``uploader.py``: one batch of uploads through the exactly-once journal;
- ``watcher.py``: watchdog events, and :class:`StabilityTracker` (pure, an injected clock)
  deciding when a file has been quiet long enough.

The face below is loaded on first use, so importing ``watcher`` alone stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_face

if TYPE_CHECKING:
    from .folders import DropFolders
    from .uploader import Batch, Progress
    from .watcher import StabilityTracker

__all__ = ["Batch", "DropFolders", "Progress", "StabilityTracker"]

__getattr__ = lazy_face(__name__, {"DropFolders": "folders", "Batch": "uploader",
                                   "Progress": "uploader", "StabilityTracker": "watcher"})
