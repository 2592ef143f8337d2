"""journald's priority prefixes, the log's set-up, the pull's progress lines, and the
``[imgur] retries`` and ``timeout`` settings."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgur_sync.mirror.progress import ProgressLog
from imgur_sync.settings.config import ConfigError, load_config
from imgur_sync.terminal import JournalFormatter, on_journal, setup_logging, with_priority

MINIMAL = '[imgur]\nclient_id = "abc123"\n'


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def progress_lines(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """The progress lines logged during the test, as they come."""
    caplog.set_level(logging.INFO, logger="imgur_sync.mirror.progress")
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("imgur_sync.mirror.progress")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


# -- journald ---------------------------------------------------------------------------------


def test_each_level_gets_its_syslog_priority_on_every_line() -> None:
    assert with_priority("one", logging.ERROR) == "<3>one"
    assert with_priority("a\nb", logging.WARNING) == "<4>a\n<4>b"
    assert [with_priority("x", level)[:3] for level in
            (logging.CRITICAL, logging.INFO, logging.DEBUG)] == ["<2>", "<6>", "<7>"]


def test_a_traceback_on_the_journal_is_an_error_on_each_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("imgur_sync", logging.ERROR, __file__, 1, "failed: %s",
                                   ("\x1b[2J title",), sys.exc_info())
    text = JournalFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    lines = text.split("\n")
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines)
    assert lines[0] == "<3>ERROR imgur_sync: failed: \\x1b[2J title"  # still escaped


def test_the_journal_is_stderr_only_when_journal_stream_names_it(tmp_path: Path) -> None:
    with (tmp_path / "journal").open("w") as stream:
        info = os.fstat(stream.fileno())
        assert on_journal(stream, {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"})
        assert not on_journal(stream, {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino + 1}"})
        assert not on_journal(stream, {"JOURNAL_STREAM": "junk"})
        assert not on_journal(stream, {})
    assert not on_journal(io.StringIO(), {"JOURNAL_STREAM": "1:1"})


def test_apscheduler_logs_warnings_only_unless_asked_twice() -> None:
    scheduler = logging.getLogger("apscheduler.executors.default")
    before = logging.getLogger("apscheduler").level
    try:
        setup_logging(io.StringIO(), verbose=0)
        assert not scheduler.isEnabledFor(logging.INFO)  # no "… executed successfully"
        assert scheduler.isEnabledFor(logging.WARNING)
        setup_logging(io.StringIO(), verbose=2)
        assert logging.getLogger("apscheduler").level == logging.NOTSET
    finally:
        logging.getLogger("apscheduler").setLevel(before)


# -- progress lines ---------------------------------------------------------------------------


def test_progress_is_logged_every_so_many_seconds(progress_lines: list[str]) -> None:
    clock = FakeClock()
    progress = ProgressLog(every_files=1000, every_seconds=30, clock=clock)
    progress.update("listed", 60)
    clock.now += 29
    progress.tick()
    assert progress_lines == []
    clock.now += 1
    progress.tick()
    assert progress_lines == ["progress: 60 listed so far"]
    progress.update("listed", 40)
    progress.update("planned", 10)
    for _ in range(4):
        progress.update("download", 1)
        progress.update("bytes", 750_000)
    clock.now += 30
    progress.tick()
    assert progress_lines[-1] == "progress: 100 listed, 4/10 downloaded (3.0 MB, 100.0 KB/s)"
    progress.tick()  # no time passed: nothing more to say
    assert len(progress_lines) == 2


def test_progress_is_logged_every_so_many_files(progress_lines: list[str]) -> None:
    progress = ProgressLog(every_files=3, every_seconds=30, clock=FakeClock())
    progress.update("planned", 7)
    for _ in range(7):
        progress.update("download", 1)
    assert [line.split(" (")[0] for line in progress_lines] == [
        "progress: 0 listed, 3/7 downloaded", "progress: 0 listed, 6/7 downloaded"]
    unplanned = ProgressLog(every_files=2, clock=FakeClock())  # an import's copies
    unplanned.update("download", 2)
    assert progress_lines[-1].startswith("progress: 0 listed, 2 downloaded (")


def test_the_ticker_logs_while_nothing_reports(progress_lines: list[str]) -> None:
    clock = FakeClock()
    logged = threading.Event()
    logger = logging.getLogger("imgur_sync.mirror.progress")

    class Signal(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.set()

    handler = Signal()
    logger.addHandler(handler)
    try:
        with ProgressLog(every_seconds=30, clock=clock, poll=0.01) as progress:
            progress.update("listed", 5)
            clock.now += 31  # a slow listing: no page for half a minute
            assert logged.wait(10), "the ticker logged nothing"
    finally:
        logger.removeHandler(handler)
    assert progress_lines[0] == "progress: 5 listed so far"


# -- [imgur] retries and timeout --------------------------------------------------------------


def test_retries_and_timeout_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + 'retries = 0\ntimeout = "2m"\n', encoding="utf-8")
    config = load_config(path, {"HOME": str(tmp_path)})
    assert (config.imgur.retries, config.imgur.timeout) == (0, 120)
    assert 'retries = 0\ntimeout = "2m"' in config.masked()
    path.write_text(MINIMAL, encoding="utf-8")
    default = load_config(path, {"HOME": str(tmp_path)})
    assert (default.imgur.retries, default.imgur.timeout) == (9, 60)
    path.write_text(MINIMAL + 'retries = 31\ntimeout = "0s"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {"HOME": str(tmp_path)})
    problems = "\n".join(caught.value.problems)
    assert "imgur.retries: 31 is out of range" in problems
    assert 'imgur.timeout: "0s" is out of range' in problems and '"1s" to "10m"' in problems
