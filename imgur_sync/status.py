"""What ``imgur-sync status`` shows: gathered by reading only, then rendered for a person.

``collect_status`` opens the state database read-only (the daemon may be writing beside it)
and the token file, and returns plain JSON-able data; ``render_status`` turns it into an
aligned text block. Neither ever includes a secret: of the tokens only the account, the
expiry and whether a refresh token is stored are read out.

``check`` is what ``status --check`` judges (docs/ARCHITECTURE.md §Alerts): one line per
problem — the last pull failed, no pull succeeded within ``[alerts] stale_after``, an upload
has waited longer than ``[schedule] stuck_after``, Imgur refuses the sign-in.

Rate-limit credits are shown when a run recorded them in the ``rate_limits`` setting (the
JSON ``rate_limits_setting`` builds from the transport's counters); otherwise "unknown".
The shared credit ledger (``paths.ledger_path``) is read too, read-only: the client id's
daily credits as last reported, and what each account using it spent this period.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import sections
from .account.tokens import TokenStore
from .api import read_ledger
from .errors import ImgurSyncError
from .paths import database_path, ledger_path
from .settings.config import Config
from .settings.durations import format_duration
from .settings.sizes import format_size
from .store import (
    RATE_LIMITS_SETTING,
    RECONCILE_CURSOR,
    RECONCILE_WALKED,
    SIGN_IN_FAILURE,
    UNAVAILABLE_SETTING,
    Store,
    printable,
)
from .store.schema import iso
from .terminal import escape

__all__ = ["MESSAGES_UNAVAILABLE", "collect_status", "render_status"]

MESSAGES_UNAVAILABLE = "unavailable: Imgur no longer serves its messaging API"
_MESSAGES = {"yes": "available", "no": MESSAGES_UNAVAILABLE}
_RUNS = 5
_PULL_KINDS = ("quick", "full")
_WAITING = ("pending", "uploading", "failed")  # upload states still on their way
NEVER_PULLED = "never pulled: run `imgur-sync pull` to make the first copy"
_COUNTS = ("albums", "albums_removed", "images", "images_removed", "images_not_owned",
           "media_removed", "favorites", "gallery_favorites", "conversations", "messages",
           "files", "file_bytes", "open_failures")


def collect_status(config: Config, state_dir: Path, *,
                   clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """Return everything ``status`` shows, as JSON-able data, reading without writing."""
    now = clock()
    db = database_path(state_dir)
    token = _token_status(state_dir, now)
    status: dict[str, Any] = {
        "account": token.get("username"), "mirror_root": str(config.mirror.root),
        "database": str(db), "pulled": False, "last_pull": None, "counts": None,
        "last_runs": [], "uploads": {"by_state": {}, "problems": []}, "failures": [],
        "messages": "not checked yet", "rate_limits": "unknown", "token": token,
        "not_mirrored": {}, "last_success": None, "last_finished_pull": None,
        "check": {"healthy": False, "problems": [NEVER_PULLED]},
        "credits": _credits(config, state_dir), "reconcile": None,
    }
    if not Store.exists(db):  # an empty file is a database not yet written
        status["never_pulled"] = NEVER_PULLED
        return status
    with Store.open_readonly(db) as store:
        counts = store.counts()
        status["counts"] = {key: counts[key] for key in _COUNTS if key in counts}
        by_role = store.files_by_role()
        status["counts"]["files_by_section"] = {
            section.name: sum(by_role.get(role, 0) for role in section.roles)
            for section in sections.sections()}
        status["uploads"] = {
            "by_state": {key[len("uploads_"):]: value for key, value in counts.items()
                         if key.startswith("uploads_")},
            "problems": [_upload(row) for state in ("failed", "bad")
                         for row in store.iter_uploads(state=state)],
        }
        status["last_runs"] = [_run(row) for row in store.last_runs(_RUNS)]
        status["last_pull"] = _last_pull(store)
        status["pulled"] = status["last_pull"] is not None
        status["failures"] = [
            {"kind": f["kind"], "item": f["item"], "reason": f["reason"], "at_iso": f["at_iso"],
             "occurrences": f["occurrences"]} for f in store.open_failures()]
        status["messages"] = _MESSAGES.get(store.get_setting("messages_available") or "",
                                           "not checked yet")
        status["not_mirrored"] = {
            name: reason for name in sections.names()
            if (reason := store.get_setting(UNAVAILABLE_SETTING + name))}
        status["account"] = status["account"] or store.get_setting("account_username")
        status["rate_limits"] = _rate_limits(store.get_setting(RATE_LIMITS_SETTING))
        status["reconcile"] = _reconcile(store.get_cursor(RECONCILE_CURSOR),
                                         config.schedule.reconcile_every)
        status["last_success"] = _last_pull(store, ("ok", "partial"))
        status["last_finished_pull"] = _last_pull(store, ("ok", "partial", "failed"))
        problems = _problems(store, config, now, status["last_finished_pull"],
                             status["last_success"])
        status["check"] = {"healthy": not problems, "problems": problems}
    if not status["pulled"]:
        status["never_pulled"] = NEVER_PULLED
    return status


def _problems(store: Store, config: Config, now: float, last: Mapping[str, Any] | None,
              success: Mapping[str, Any] | None) -> list[str]:
    """Return one line per reason the backup needs attention (``status --check``)."""
    problems = []
    if last is not None and last["outcome"] == "failed":
        problems.append(f"the last pull failed at {last['finished_iso']}: "
                        f"{_short(last['error'] or 'no reason recorded')}")
    stale_after = config.alerts.stale_after
    if success is None:
        problems.append("no pull has succeeded yet: run `imgur-sync pull` (or start the "
                        "service) and see its errors")
    elif now - success["finished"] > stale_after:
        since = format_duration(int(now - success["finished"]))
        problems.append(f"no pull has succeeded for {since} (the last good one ended "
                        f"{success['finished_iso']}; [alerts] stale_after is "
                        f"{format_duration(stale_after)})")
    stuck_after = config.schedule.stuck_after
    stuck = [row for state in _WAITING for row in store.iter_uploads(state=state)
             if now - row["created"] > stuck_after]
    if stuck:
        oldest = min(stuck, key=lambda row: row["created"])
        problems.append(f"{len(stuck)} upload(s) have waited longer than [schedule] "
                        f"stuck_after ({format_duration(stuck_after)}); the oldest, "
                        f"{printable(oldest['path'])}: {oldest.get('error') or oldest['state']}")
    problems += [f"Imgur refuses the sign-in: {_short(f['reason'])}"
                 for f in store.open_failures() if f["kind"] == SIGN_IN_FAILURE]
    return problems


def _token_status(state_dir: Path, now: float) -> dict[str, Any]:
    store = TokenStore(state_dir)
    info: dict[str, Any] = {"file": str(store.path), "signed_in": False}
    try:
        tokens = store.load()
    except ImgurSyncError as exc:
        return {**info, "error": str(exc)}
    if tokens is None:
        return info
    expires = tokens.expires_at
    return {**info, "signed_in": True, "sign_in": tokens.kind, "username": tokens.account_username,
            "account_id": tokens.account_id, "expires_at": expires,
            "expires_at_iso": iso(expires), "expired": None if expires is None else expires <= now,
            "refresh_token_stored": bool(tokens.refresh_token)}


def _credits(config: Config, state_dir: Path) -> dict[str, Any] | str:
    """What the shared ledger knows of this client id's daily credits, or why nothing."""
    path = ledger_path(state_dir)
    try:
        credits = read_ledger(path, config.imgur.client_id)
    except sqlite3.Error as exc:
        return f"unreadable ({exc}): {path}"
    if credits is None:
        return "none recorded yet: the first call records them"
    budget = config.budget
    return {
        "ledger": str(path), "limit": credits.limit, "remaining": credits.remaining,
        "reset": credits.reset, "reset_iso": iso(credits.reset),
        "seen_at_iso": iso(credits.seen_at), "spent": credits.spent, "share": budget.share,
        "reserve": budget.reserve,
        "accounts": [{"account": a.account, "reads": a.reads, "uploads": a.uploads,
                      "user_limit": a.user_limit, "user_remaining": a.user_remaining,
                      "user_reset_iso": iso(a.user_reset)} for a in credits.accounts],
    }


def _reconcile(raw: str | None, every: float) -> dict[str, Any] | None:
    """Where the rolling reconcile's cycle is (docs/ARCHITECTURE.md §Reconcile), or None."""
    try:
        cycle = json.loads(raw) if raw else None
        start = float(cycle["start"])
    except (ValueError, TypeError, KeyError):  # none yet, or another version's
        return None

    def page(key: str) -> int | str | None:  # the next page to read, or "walked"
        value = cycle.get(key)
        return "walked" if value == RECONCILE_WALKED else value if isinstance(value, int) else None
    return {"started_iso": iso(start), "due_iso": iso(start + every),
            "requests": cycle.get("done"), "images_page": page("images"),
            "albums_page": page("albums"), "favorites_read": cycle.get("favorites") is True,
            "last_cycle_requests": cycle.get("last_cost")}


def _run(row: Mapping[str, Any]) -> dict[str, Any]:
    finished = row.get("finished")
    return {
        "id": row["id"], "kind": row["kind"], "started": row["started"],
        "started_iso": row["started_iso"], "finished_iso": row.get("finished_iso"),
        "duration_seconds": None if finished is None else round(finished - row["started"], 3),
        "outcome": row.get("outcome") or "unfinished", "requests": row.get("requests") or 0,
        "downloaded_bytes": row.get("downloaded_bytes") or 0, "counts": row.get("counts") or {},
        "error": row.get("error"),
    }


def _last_pull(store: Store, outcomes: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """Return the latest pull (with one of ``outcomes`` if given), running ones included."""
    sql, args = f"SELECT * FROM runs WHERE kind IN ({_marks(_PULL_KINDS)})", list(_PULL_KINDS)
    if outcomes:
        sql, args = sql + f" AND outcome IN ({_marks(outcomes)})", args + list(outcomes)
    row = next(store.db.query(sql + " ORDER BY id DESC LIMIT 1", args), None)
    if row is None:
        return None
    row["counts"] = json.loads(row["counts"]) if row.get("counts") else {}
    return {**_run(row), "finished": row.get("finished")}


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)


def _upload(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "path": printable(row["path"]), "state": row["state"],
            "album_id": row.get("album_id"), "attempts": row.get("attempts") or 0,
            "error": row.get("error") or "no reason recorded", "updated_iso": iso(row["updated"])}


def _rate_limits(raw: str | None) -> dict[str, Any] | str:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        value = None
    return value if isinstance(value, dict) else "unknown"


# ---- text ----------------------------------------------------------------------------------


def render_status(status: Mapping[str, Any]) -> str:
    """Return the status as an aligned text block for a terminal."""
    lines = _block("imgur-sync status", [
        ("Account", status.get("account") or "unknown (not signed in)"),
        ("Mirror", status["mirror_root"]),
        ("Database", status["database"]),
        ("Access token", _token_line(status["token"])),
        ("Messages", status["messages"]),
        ("Rate limits", _limits_line(status["rate_limits"])),
        ("Last pull", _run_line(status["last_pull"]) if status["last_pull"]
         else status.get("never_pulled", "never pulled")),
        ("Health", "ok" if status["check"]["healthy"] else
         f"{len(status['check']['problems'])} problem(s), listed below "
         "(`imgur-sync status --check` exits 4)"),
    ])
    if not status["check"]["healthy"]:
        lines += _block("Problems", [("-", problem) for problem in status["check"]["problems"]])
    lines += _block("Shared credits", _credits_rows(status["credits"]))
    if status.get("reconcile"):
        lines += _block("Reconcile", _reconcile_rows(status["reconcile"]))
    if status.get("not_mirrored"):
        lines += _block("Not mirrored", list(status["not_mirrored"].items()))
    counts = status.get("counts")
    if counts:
        lines += _block("Counts", [
            ("Albums", _with(counts["albums"], counts["albums_removed"], "removed upstream")),
            ("Images owned", _with(counts["images"], counts["images_removed"],
                                   "removed upstream")),
            ("Other images", str(counts["images_not_owned"])),
            ("Favorites", str(counts["favorites"])),
            ("Gallery favorites", str(counts["gallery_favorites"])),
            ("Conversations", str(counts["conversations"])),
            ("Messages", str(counts["messages"])),
            ("Local files", f"{counts['files']} ({format_size(counts['file_bytes'])})"
                            + _by_section(counts.get("files_by_section", {}))),
            ("Removed items", f"{counts['albums_removed'] + counts['images_removed']} "
                              "(gone from Imgur, copies kept)"),
            ("Removed media", f"{counts['media_removed']} (Imgur serves removed.png)"),
        ])
    if status["last_runs"]:
        lines += _block("Last runs", [(run["started_iso"], _run_line(run, when=False))
                                      for run in status["last_runs"]])
    uploads = status["uploads"]
    if uploads["by_state"]:
        queue = ", ".join(f"{n} {state}" for state, n in uploads["by_state"].items() if n)
        lines += _block("Uploads", [("Queue", queue or "empty")] + [
            (f"{u['state']} #{u['id']}", f"{u['path']}: {u['error']} "
                                         f"({u['attempts']} attempt(s), {u['updated_iso']})")
            for u in uploads["problems"]])
    if status["failures"]:
        lines += _block("Open failures", [
            (f["kind"], f"{f['item'] or '-'}: {f['reason']}" +
             (f" ({f['occurrences']} times, last {f['at_iso']})" if f["occurrences"] > 1
              else f" ({f['at_iso']})")) for f in status["failures"]])
    return "\n".join(lines) + "\n"


def _block(title: str, rows: list[tuple[str, str]]) -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    # Values hold paths, titles and server messages: data, escaped before a terminal sees it.
    return [title, *(f"  {label:<{width}}  {escape(value)}" for label, value in rows), ""]


def _by_section(files: Mapping[str, int]) -> str:
    """Return ": images 3, albums 5, ..." for the sections that have files, else ""."""
    parts = [f"{name} {n}" for name, n in files.items() if n]
    return ": " + ", ".join(parts) if parts else ""


def _with(n: int, extra: int, what: str) -> str:
    return f"{n} ({extra} {what})" if extra else str(n)


def _token_line(token: Mapping[str, Any]) -> str:
    if "error" in token:
        return token["error"]
    if not token["signed_in"]:
        return "not signed in (`imgur-sync auth`); the config's refresh token is used if set"
    if token.get("sign_in") == "cookie":
        return ("the browser's accesstoken cookie (it lasts until Imgur stops taking it; "
                "then export fresh cookies and run `imgur-sync auth --cookies FILE`)")
    refresh = "refresh token stored" if token["refresh_token_stored"] else "no refresh token"
    if token["expires_at_iso"] is None:
        return f"expiry unknown; {refresh}"
    verb = "expired" if token["expired"] else "expires"
    return f"{verb} {token['expires_at_iso']}; {refresh}"


def _limits_line(limits: Mapping[str, Any] | str) -> str:
    if isinstance(limits, str):
        return f"{limits} (not recorded by the runs so far)"
    parts = []
    for label, remaining, limit in (("user", "user_remaining", "user_limit"),
                                    ("application", "client_remaining", "client_limit"),
                                    ("uploads", "post_remaining", "post_limit")):
        if limits.get(remaining) is not None:
            parts.append(f"{label} {limits[remaining]}/{limits.get(limit, '?')}")
    for label, reset in (("user", "user_reset"), ("application", "client_reset")):
        if limits.get(reset):
            parts.append(f"{label} credits reset {iso(limits[reset])}")
    return ", ".join(parts or ["none reported"]) + f" (as of {limits.get('recorded_at_iso')})"


def _credits_rows(credits: Mapping[str, Any] | str) -> list[tuple[str, str]]:
    if isinstance(credits, str):
        return [("Ledger", credits)]
    limit = credits["limit"]
    cap = "" if limit is None else (
        f" (each account's reads stop at {int(credits['share'] * limit)})")
    spent = ", ".join(
        f"{a['account']}: {a['reads'] + a['uploads']}"
        + (f" ({a['uploads']} on uploads)" if a["uploads"] else "") for a in credits["accounts"])
    return [
        ("Ledger", credits["ledger"]),
        ("Application", f"{_or_unknown(credits['remaining'])} of {_or_unknown(limit)} daily "
                        f"credits left, reset {credits['reset_iso'] or 'unknown'} "
                        f"(as of {credits['seen_at_iso'] or 'no answer yet'})"),
        ("Spent this day", (spent or "nothing") + cap),
    ]


def _reconcile_rows(cycle: Mapping[str, Any]) -> list[tuple[str, str]]:
    def at(page: int | str | None) -> str:
        return "read to its end" if page == "walked" else f"next page {_or_unknown(page)}"
    last = cycle["last_cycle_requests"]
    return [
        ("Cycle", f"begun {cycle['started_iso']}, to cover the account by {cycle['due_iso']} "
                  f"([schedule] reconcile_every); {_or_unknown(cycle['requests'])} requests "
                  "so far" + (f", the last cycle took {last}" if last else "")),
        ("Images", at(cycle["images_page"])),
        ("Albums", at(cycle["albums_page"])),
        ("Favorites", "read" if cycle["favorites_read"] else "read whole at the cycle's end"),
    ]


def _or_unknown(value: int | None) -> str:
    return "?" if value is None else str(value)


def _run_line(run: Mapping[str, Any], *, when: bool = True) -> str:
    took = run["duration_seconds"]
    parts = [f"{run['kind']} {run['outcome']}" + (f" at {run['started_iso']}" if when else ""),
             "still running or interrupted" if took is None else f"took {_seconds(took)}",
             f"{run['requests']} requests", f"{format_size(run['downloaded_bytes'])} downloaded"]
    done = ", ".join(f"{kind} {n}" for kind, n in run["counts"].items())
    line = ", ".join(parts) + (f" ({done})" if done else "")
    return f"{line}; error: {_short(run['error'])}" if run["error"] else line


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


