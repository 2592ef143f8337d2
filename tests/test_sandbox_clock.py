"""The sandbox's clock over HTTP: moving it renews hourly and daily credits, and the
X-RateLimit-* headers and the enforced limits follow it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from support import FakeClock

from imgur_sync.sandbox import Sandbox, SandboxOptions

HOUR, DAY = 3600, 86400


def _limited(start_sandbox: Callable[..., Sandbox]) -> tuple[Sandbox, FakeClock]:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(
        user_limit=3, client_limit=5, enforce_rate_limits=True))
    return sb, clock


def _get(http: requests.Session, sb: Sandbox, token: str) -> requests.Response:
    return http.get(f"{sb.url}/3/account/me", headers={"Authorization": f"Bearer {token}"})


def _advance(http: requests.Session, sb: Sandbox, **body: float) -> float:
    answer = http.post(f"{sb.url}/__sandbox__/clock", json=body)
    assert answer.status_code == 200, answer.text
    now: float = answer.json()["data"]["now"]
    return now


def test_an_hour_renews_the_users_credits_and_a_day_the_clients(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb, clock = _limited(start_sandbox)
    token = sb.access_token()
    start = clock()
    first = _get(http, sb, token)
    assert int(first.headers["X-RateLimit-UserReset"]) == int(start + HOUR)
    assert [_get(http, sb, token).status_code for _ in range(3)] == [200, 200, 429]

    now = _advance(http, sb, advance=HOUR)
    assert now == start + HOUR == sb.clock()
    token = sb.access_token()  # the old one expired with the hour
    renewed = _get(http, sb, token)
    assert renewed.status_code == 200
    assert renewed.headers["X-RateLimit-UserRemaining"] == "2"
    assert int(renewed.headers["X-RateLimit-UserReset"]) == int(now + HOUR)
    # The day is not over: the client's 5 credits had 3 spent, and 1 more now.
    assert renewed.headers["X-RateLimit-ClientRemaining"] == "1"
    assert int(renewed.headers["X-RateLimit-ClientReset"]) == DAY - HOUR
    assert _get(http, sb, token).status_code == 200
    spent = _get(http, sb, token)
    assert spent.status_code == 429 and spent.headers["X-RateLimit-ClientRemaining"] == "0"

    now = _advance(http, sb, set=start + DAY)
    token = sb.access_token()
    renewed = _get(http, sb, token)
    assert renewed.status_code == 200
    assert renewed.headers["X-RateLimit-ClientRemaining"] == "4"
    assert int(renewed.headers["X-RateLimit-ClientReset"]) == DAY
    assert int(renewed.headers["X-RateLimit-UserReset"]) == int(now + HOUR)
    credits = http.get(f"{sb.url}/3/credits",
                       headers={"Authorization": f"Bearer {token}"}).json()["data"]
    # /3/credits is a call too: it costs one.
    assert credits["ClientRemaining"] == 3 and credits["UserReset"] == int(now + HOUR)


def test_the_clock_reads_back_and_the_python_api_moves_the_same_clock(
        start_sandbox: Callable[..., Sandbox], http: requests.Session) -> None:
    sb, clock = _limited(start_sandbox)
    read = http.get(f"{sb.url}/__sandbox__/clock").json()["data"]
    assert read == {"now": clock(), "offset": 0.0}
    assert sb.advance(90) == clock() + 90
    read = http.get(f"{sb.url}/__sandbox__/clock").json()["data"]
    assert read == {"now": clock() + 90, "offset": 90.0}
    clock.now += 10  # the base clock still runs under the offset
    assert sb.world.now() == int(clock() + 90)


@pytest.mark.parametrize("body", [
    {"advance": -1}, {"set": 1_000_000_000}, {"advance": "1h"}, {"advance": True},
    {}, {"advance": 1, "set": 2_000_000_000}, {"forward": 1}, [1],
])
def test_the_clock_refuses_what_is_not_a_move_forward(
        start_sandbox: Callable[..., Sandbox], http: requests.Session, body: object) -> None:
    sb, clock = _limited(start_sandbox)
    answer = http.post(f"{sb.url}/__sandbox__/clock", json=body)
    assert answer.status_code == 400
    assert sb.clock() == clock()
