"""The pull and its parts: fetch the listings, plan the tree, apply the plan, verify it.

- ``pull.py``: :class:`Mirror`, one run from the listings to the files, recorded;
- ``validate.py``: listing items checked at the edge (the bad skipped, and why recorded);
- ``plan.py``: pure, the tree wanted against the tree recorded, as actions;
- ``apply.py``: actions carried out (downloads, copies, links, renames, trash);
- ``files.py``: placing files safely (temp names, links, clones, no symlinked folders);
- ``layout.py``: pure, remote objects to names and paths, and conversation transcripts;
- ``verify.py``: the files checked against the store, and restored on request.

``pull`` and ``verify`` sit on top and never import each other. The face below is loaded on
first use, so importing a pure part such as ``plan`` does not load the API client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_face

if TYPE_CHECKING:
    from .apply import Interrupted
    from .pull import STEPS, Mirror, PullResult, SectionSteps

__all__ = ["STEPS", "Interrupted", "Mirror", "PullResult", "SectionSteps"]

__getattr__ = lazy_face(__name__, {"STEPS": "pull", "Mirror": "pull", "PullResult": "pull",
                                   "SectionSteps": "pull", "Interrupted": "apply"})
