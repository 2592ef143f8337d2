"""What ``pull``, ``pull --dry-run`` and ``verify`` did, as the objects ``--json`` prints;
docs/JSON.md documents each key, and a test holds the two together.

Keys are only ever added, never renamed or removed, so scripts keep working.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pull import PullResult
    from .verify import VerifyReport

__all__ = ["dry_run_json", "pull_json", "verify_json"]


def pull_json(result: PullResult, root: Path) -> dict[str, Any]:
    """Return what a pull did, for ``pull --json``."""
    applied = result.applied
    return {
        "kind": result.kind,
        "outcome": result.outcome,
        "root": str(root),
        "run_id": result.run_id,
        "requests": result.requests,
        "done": dict(applied.done),
        "downloaded_bytes": applied.downloaded_bytes,
        "removed": result.removed,
        "media_removed": list(applied.media_removed),
        "messages_available": result.messages_available,
        "unavailable": dict(result.unavailable),
        "problems": list(result.problems),
        "deferred": result.deferred,
    }


def dry_run_json(result: PullResult, root: Path) -> dict[str, Any]:
    """Return what a pull would do, for ``pull --dry-run --json``."""
    planned: dict[str, int] = {}
    for action in result.actions:
        planned[action.kind] = planned.get(action.kind, 0) + 1
    return {
        "kind": result.kind,
        "dry_run": True,
        "root": str(root),
        "requests": result.requests,
        "planned": planned,
        "actions": [{"kind": a.kind, "path": a.path, "source": a.source}
                    for a in result.actions],
    }


def verify_json(report: VerifyReport) -> dict[str, Any]:
    """Return what a verify found (and repaired), for ``verify --json``."""
    return {
        "checked": report.checked,
        "repair": report.repair,
        "missing": len(report.missing),
        "corrupt": len(report.corrupt),
        "repaired": list(report.repaired),
        "remaining": [{"path": p.path, "kind": p.kind, "reason": report.reason(p)}
                      for p in report.remaining],
        "media_removed": list(report.media_removed),
        "downloaded_bytes": report.downloaded_bytes,
    }
