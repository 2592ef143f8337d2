"""The offline gallery's memory does not grow with the account (docs/ARCHITECTURE.md
§Gallery), measured with tracemalloc by tests/unit/test_gallery_data.py's ``_peak``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Run in a fresh interpreter: pathlib interns every name it parses, in one table for the
# whole process. After the rest of the suite that table held tens of thousands of names,
# and its growth inside the window added 3.9 MB to the peak (5.09 MB: interning 49,000
# strings before a measurement in a fresh interpreter gives the same figure). Growing it
# once more is CPython's, not the gallery's; a fresh process measures the same every time.
_MEASURE = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import test_gallery_data as t
from imgur_sync.mirror import gallery
gallery.SHARD_SIZE = 100  # small, so that both accounts have several search shards
root = Path(sys.argv[2])
t._peak(root, 2000, traced=False)  # the names interned, the modules imported
print(t._peak(root, 200), t._peak(root, 2000))
"""


def test_the_gallery_does_not_hold_the_account_in_memory(tmp_path: Path) -> None:
    # Ten times the images, not ten times the memory: pages are made and written one at a
    # time from rows streamed out of the store (SQLite's own memory is not Python's), and
    # the search index in shards.
    here = Path(__file__).resolve().parent / "unit"
    child = subprocess.run([sys.executable, "-c", _MEASURE, str(here), str(tmp_path)],
                           cwd=here.parents[1], capture_output=True, text=True, timeout=300,
                           check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    small, large = map(int, child.stdout.split())
    assert large < 2 * small, (small, large)
