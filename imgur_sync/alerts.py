"""A broken backup makes itself known (docs/ARCHITECTURE.md §Alerts).

Around every pull, by ``pull`` and by ``run``: a healthchecks.io-style ping (``/start``, the
bare URL on success, ``/fail`` on failure, each with a one-line body), the ``on_failure``
command once per *incident* (from the first failed pull after a good one until the next
good one, kept in the store so a ``pull`` from a timer counts the same way), and a
Prometheus textfile rewritten whole after the run. None of them can fail the pull: a ping
or a command that fails is logged, and the pull's own outcome stands.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from . import __version__
from .errors import ImgurSyncError
from .mirror.apply import Interrupted
from .mirror.pull import PullResult
from .settings.config import SECRET_ENV, Config
from .settings.sizes import format_size
from .status import collect_status
from .store import Store, printable
from .store.schema import iso

__all__ = ["INCIDENT_SETTING", "Alerts", "render_metrics"]

log = logging.getLogger(__name__)

INCIDENT_SETTING = "alerts_incident"  # JSON {"since": epoch} while pulls fail, else ""
PING_TIMEOUT = (3.05, 5.0)  # connect, read: a ping host that hangs must not hold the pull
HOOK_TIMEOUT = 60.0
MESSAGE_LIMIT = 500  # characters of an error that go into a ping body or the hook's env


class Alerts:
    """The alerts of one account, as ``[alerts]`` asks for them."""

    def __init__(self, config: Config, store: Store, state_dir: Path, *,
                 clock: Callable[[], float] = time.time,
                 env: Mapping[str, str] | None = None) -> None:
        self.config, self.alerts, self.store = config, config.alerts, store
        self.state_dir = state_dir
        self.clock = clock
        self.env = os.environ if env is None else env
        self.session: requests.Session | None = None

    def around(self, kind: str, pull: Callable[[], PullResult]) -> PullResult:
        """Run ``pull`` (of ``kind``, quick or full) with its alerts; return what it returned."""
        self._ping("/start", f"imgur-sync {kind} pull started")
        try:
            result = pull()
        except Interrupted:  # a stop was asked for: neither a success nor a failure
            raise
        except Exception as exc:
            self._quietly(self.failed, kind, exc)
            raise
        self._quietly(self.succeeded, result)
        return result

    def _quietly(self, say: Callable[..., None], *args: Any) -> None:
        """Run ``say``; an error of its own (a broken database, say) is logged, never raised,
        so that it neither fails a good pull nor hides why a pull failed."""
        try:
            say(*args)
        except ImgurSyncError as exc:  # foreseen (a locked database, say): one line says it
            log.warning("The [alerts] could not be given: %s", exc)
        except Exception:
            log.exception("The [alerts] could not be given")

    def failed(self, kind: str, exc: BaseException) -> None:
        """Say that a pull of ``kind`` failed with ``exc``."""
        message = one_line(str(exc) or type(exc).__name__)
        self._ping("/fail", f"imgur-sync {kind} pull failed: {message}")
        incident = self._incident()
        if incident is None:
            incident = {"since": self.clock()}
            # Recorded before the command runs: a command that fails is not run again and
            # again, once a pull, for the same incident.
            self.store.set_setting(INCIDENT_SETTING, json.dumps(incident))
            self._run_command(kind, message, incident["since"])
        self.write_metrics()

    def succeeded(self, result: PullResult) -> None:
        """Say that a pull ended (``ok``, or ``partial``: some items failed)."""
        done = result.applied.done
        self._ping("", f"imgur-sync {result.kind} pull {result.outcome}: "
                       f"{done.get('download', 0)} downloaded "
                       f"({format_size(result.applied.downloaded_bytes)}), "
                       f"{len(result.problems)} failed, {result.requests} requests")
        incident = self._incident()
        if incident is not None:
            log.info("Pulls work again (they failed from %s)", iso(incident["since"]))
            self.store.set_setting(INCIDENT_SETTING, "")
        self.write_metrics()

    def _incident(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.store.get_setting(INCIDENT_SETTING) or "null")
        except ValueError:
            return None
        return value if isinstance(value, dict) and "since" in value else None

    # -- the ping ---------------------------------------------------------------------------

    def _ping(self, suffix: str, body: str) -> None:
        if not self.alerts.ping_url:
            return
        host = urlsplit(self.alerts.ping_url).netloc  # the path may be a secret: never logged
        if self.session is None:
            self.session = requests.Session()
            self.session.headers["User-Agent"] = f"imgur-sync/{__version__}"
        try:
            answer = self.session.post(self.alerts.ping_url + suffix, data=body.encode(),
                                       timeout=PING_TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            log.warning("Could not ping %s (%s); the pull goes on", host, type(exc).__name__)
            return
        if not answer.ok:
            log.warning("%s answered the ping with HTTP %d; check [alerts] ping_url", host,
                        answer.status_code)

    # -- the command ------------------------------------------------------------------------

    def _run_command(self, kind: str, message: str, since: float) -> None:
        argv = self.alerts.on_failure
        if not argv:
            return
        run = self.store.last_runs(1)
        env = {name: value for name, value in self.env.items()
               if name not in SECRET_ENV.values()}  # the command needs none of our secrets
        env.update(IMGUR_SYNC_FAILURE=message, IMGUR_SYNC_RUN_KIND=kind,
                   IMGUR_SYNC_ACCOUNT=self.store.get_setting("account_username") or "",
                   IMGUR_SYNC_RUN_ID=str(run[0]["id"]) if run else "",
                   IMGUR_SYNC_SINCE=iso(since) or "")
        log.info("Running [alerts] on_failure: %s", argv[0])
        try:
            done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, errors="replace",
                                  timeout=HOOK_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            log.error("[alerts] on_failure %s did not end within %.0f s and was killed",
                      argv[0], HOOK_TIMEOUT)
            return
        except OSError as exc:
            log.error("Could not run [alerts] on_failure %s (%s); check the command",
                      argv[0], exc.strerror)
            return
        said = one_line(done.stderr or done.stdout)
        if done.returncode:
            log.error("[alerts] on_failure %s exited with %d%s", argv[0], done.returncode,
                      f": {said}" if said else "")
        elif said:
            log.info("[alerts] on_failure %s said: %s", argv[0], said)

    # -- the metrics ------------------------------------------------------------------------

    def write_metrics(self) -> None:
        """Rewrite ``metrics_file`` whole (a reader never sees half of it)."""
        path = self.alerts.metrics_file
        if path is None:
            return
        text = render_metrics(collect_status(self.config, self.state_dir, clock=self.clock))
        # node_exporter reads only *.prom: the temporary name is never read half-written.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                # Read by node_exporter, another user; the figures hold no secret.
                os.fchmod(out.fileno(), 0o644)
                out.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.warning("Could not write [alerts] metrics_file %s (%s)", path, exc.strerror)


def one_line(text: str) -> str:
    """Return ``text`` as one printable line of at most ``MESSAGE_LIMIT`` characters."""
    line = " ".join(printable(text).split())
    return line if len(line) <= MESSAGE_LIMIT else line[:MESSAGE_LIMIT - 1] + "…"


_ITEMS = ("albums", "images", "images_not_owned", "favorites", "gallery_favorites",
          "conversations", "messages")
_CREDITS = (("user", "user_remaining"), ("client", "client_remaining"),
            ("post", "post_remaining"))


def render_metrics(status: Mapping[str, Any]) -> str:
    """Return ``status`` (``collect_status``'s) in Prometheus' text exposition format."""
    account = str(status.get("account") or "")
    out: list[str] = []

    def metric(name: str, help_text: str, samples: list[tuple[dict[str, str], float | None]],
               kind: str = "gauge") -> None:
        samples = [(labels, value) for labels, value in samples if value is not None]
        if not samples:
            return
        out.extend([f"# HELP imgur_sync_{name} {help_text}", f"# TYPE imgur_sync_{name} {kind}"])
        for labels, value in samples:
            pairs = ",".join(f'{key}="{_label(val)}"'
                             for key, val in {"account": account, **labels}.items())
            out.append(f"imgur_sync_{name}{{{pairs}}} {_number(value)}")

    last, success = status.get("last_finished_pull"), status.get("last_success")
    counts = status.get("counts") or {}
    metric("last_success_timestamp_seconds", "When the last successful pull ended.",
           [({}, success and success["finished"])])
    metric("last_run_timestamp_seconds", "When the last pull ended, well or not.",
           [({}, last and last["finished"])])
    metric("last_run_success", "1 if the last pull succeeded (some items may have failed).",
           [({}, None if last is None else float(last["outcome"] != "failed"))])
    metric("last_run_duration_seconds", "How long the last pull took.",
           [({}, last and last["duration_seconds"])])
    metric("last_run_requests", "API requests the last pull made.",
           [({}, last and last["requests"])])
    metric("last_run_downloaded_bytes", "Bytes the last pull downloaded.",
           [({}, last and last["downloaded_bytes"])])
    metric("items", "Items mirrored, by kind.",
           [({"kind": kind}, counts.get(kind)) for kind in _ITEMS])
    metric("local_files", "Files in the mirror.", [({}, counts.get("files"))])
    metric("local_bytes", "Bytes in the mirror's files.", [({}, counts.get("file_bytes"))])
    metric("open_failures", "Failures `imgur-sync status` lists.",
           [({}, len(status.get("failures") or []))])
    metric("uploads", "Drop-folder uploads, by state.",
           [({"state": state}, n) for state, n in (status.get("uploads") or {})
            .get("by_state", {}).items()])
    limits = status.get("rate_limits")
    if isinstance(limits, Mapping):
        metric("rate_limit_remaining", "API credits left when the last run ended, by limit.",
               [({"limit": name}, limits.get(key)) for name, key in _CREDITS])
    check = status.get("check") or {}
    metric("healthy", "1 if `imgur-sync status --check` finds nothing wrong.",
           [({}, float(bool(check.get("healthy"))))])
    return "\n".join(out) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
