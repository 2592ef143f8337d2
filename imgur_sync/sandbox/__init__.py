"""A local Imgur-compatible API server for tests, the demo and benchmarks.

It imports nothing from the rest of ``imgur_sync``: it stands for the real Imgur.

    from imgur_sync.sandbox import Sandbox
    with Sandbox("demo") as sb:
        sb.api_url, sb.client_id, sb.client_secret, sb.refresh_token
        sb.world.add_image(sb.username, "new")      # change the account behind a client's back
        sb.counters.snapshot()                       # what clients asked for
"""

from __future__ import annotations

from .app import Counters, SandboxApp, SandboxOptions
from .faults import KINDS as FAULT_KINDS
from .faults import FaultPlan
from .faults import parse_spec as parse_fault_spec
from .seeds import SCENARIOS, Credentials
from .server import Sandbox
from .state import World

__all__ = [
    "FAULT_KINDS",
    "SCENARIOS",
    "Counters",
    "Credentials",
    "FaultPlan",
    "Sandbox",
    "SandboxApp",
    "SandboxOptions",
    "World",
    "parse_fault_spec",
]
