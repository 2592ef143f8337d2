"""Small test doubles shared by several test modules (plain classes, no fixtures)."""

from __future__ import annotations


class FakeClock:
    """A clock tests move by hand; ``sleep`` advances it instead of waiting."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move time on by it."""
        self.slept.append(seconds)
        self.now += seconds
