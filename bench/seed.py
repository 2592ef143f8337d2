"""Time seeding the sandbox's ``big`` account (issue 2: scale 10 under 5 s).

Prints seconds for scale 1 and scale N, the ratio between them (≈N means seeding is
linear), and the share of the time spent rendering the tiny media, measured in the
same run as a baseline so a noisy machine shows up in both figures.

    python bench/seed.py [--scale 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from imgur_sync.sandbox import World
from imgur_sync.sandbox.media import render_tiny_png
from imgur_sync.sandbox.seeds import seed_world


def seed_seconds(scale: int) -> tuple[float, World]:
    """Seed a fresh world at ``scale`` and return the seconds it took."""
    world = World(seed=1)
    start = time.perf_counter()
    seed_world(world, "big", scale=scale)
    return time.perf_counter() - start, world


def render_seconds(count: int) -> float:
    """Time rendering ``count`` distinct tiny PNGs: the floor under seeding."""
    start = time.perf_counter()
    for seed in range(1, count + 1):
        render_tiny_png(seed * 7919)
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    one = min(seed_seconds(1)[0] for _ in range(args.repeat))
    runs = [seed_seconds(args.scale) for _ in range(args.repeat)]
    big, world = min(runs, key=lambda r: r[0])
    images = sum(1 for i in world.images.values() if i.owner == "BigAccount")
    albums = sum(1 for a in world.albums.values() if a.owner == "BigAccount")
    floor = min(render_seconds(images) for _ in range(args.repeat))

    print(f"big scale 1 : {one:6.3f} s")
    print(f"big scale {args.scale}: {big:6.3f} s  ({images} images, {albums} albums, "
          f"{len(world.images)} images in all)")
    print(f"ratio scale {args.scale} / scale 1: {big / one:5.2f} (linear = {args.scale})")
    print(f"rendering {images} tiny PNGs alone: {floor:6.3f} s "
          f"({floor / big:4.0%} of seeding)")
    verdict = "ok" if big < 5.0 else "OVER"
    print(f"target: scale {args.scale} under 5 s -> {verdict}")


if __name__ == "__main__":
    main()
