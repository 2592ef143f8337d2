"""Imgur's credit headers in the forms real answers used, and the blocks they cause ending."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import pytest
from scripted_http import Answer, Seen, ok, scripted_server
from support import FakeClock
from test_api_transport import transport

from imgur_sync.api.errors import RateLimited
from imgur_sync.api.ratelimits import RateLimits, keep_reserve, request_cost
from imgur_sync.api.transport import RetryPolicy, Tokens, Transport
from imgur_sync.sandbox import FaultPlan, Sandbox

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
JSONAPI_429 = {"errors": [{"id": "legacy-api-7d5c8f9b6-q2x7l", "code": "429",
                           "status": "Too Many Requests", "detail": "Too Many Requests"}]}


def test_a_spent_client_budget_blocks_until_its_reset_then_calls_again(
        start_sandbox: Callable[..., Sandbox]) -> None:
    # The recorded 2024 answer: a JSON:API 429 with x-ratelimit-clientremaining: 0.
    sb = start_sandbox("demo", faults=FaultPlan(rates={"rate_limit": 1.0}, client_exhausted=1.0,
                                                client_reset=60, retry_after=1))
    clock = FakeClock()
    t = transport(sb, clock)
    started = clock.now
    with pytest.raises(RateLimited, match="credits") as refused:
        t.request("GET", "3/account/me")
    assert sb.counters.by_status[429] == 1 and clock.slept == [1.0]  # Retry-After, then refused
    assert refused.value.retry_after == pytest.approx(59.0)
    sb.set_faults(FaultPlan())  # Imgur would answer again; the client must not ask yet
    sent = sb.counters.requests
    clock.now = started + 59.5
    with pytest.raises(RateLimited, match="credits"):
        t.request("GET", "3/account/me")
    # OAuth is free: a token refresh goes through while the credits are spent.
    tokens = sb.counters.by_route["POST /oauth2/token"]
    assert t.refresh() and sb.counters.by_route["POST /oauth2/token"] == tokens + 1
    assert sb.counters.requests == sent  # nothing else was sent during the 60 s
    clock.now = started + 60
    assert t.request("GET", "3/account/me")["url"] == sb.username
    assert sb.counters.requests == sent + 1 and t.limits.client_remaining > 0


@pytest.mark.parametrize("reset", ["3047", str(int(NOW) + 3047)], ids=["seconds", "epoch"])
def test_user_reset_in_either_form_gives_the_right_wait(reset: str) -> None:
    answers = iter([(429, {"X-RateLimit-UserRemaining": "0", "X-RateLimit-UserReset": reset},
                     JSONAPI_429), ok({"url": "me"})])
    clock = FakeClock(NOW)
    with scripted_server(lambda seen: next(answers)) as (url, seen):
        t = Transport("c", api_url=url, clock=clock, sleep=clock.sleep,
                      retry=RetryPolicy(max_wait=5000))
        assert t.request("GET", "3/credits") == {"url": "me"}
    assert clock.slept == [3047.0] and len(seen) == 2
    limits = RateLimits()
    limits.update({"X-RateLimit-UserRemaining": "0", "X-RateLimit-UserReset": reset}, NOW)
    assert keep_reserve(0)(limits, "GET", 1, NOW) == 3047.0  # the pacer waits as long


def test_a_client_count_without_reset_blocks_until_utc_midnight() -> None:
    limits = RateLimits()
    limits.update({"x-ratelimit-clientlimit": "12500", "x-ratelimit-clientremaining": "0"}, NOW)
    midnight = datetime(2027, 1, 16, tzinfo=timezone.utc).timestamp()
    assert limits.client_reset == midnight
    with pytest.raises(RateLimited, match="2027-01-16 00:00:00 UTC") as refused:
        keep_reserve(0)(limits, "GET", 1, NOW)
    assert refused.value.retry_after == midnight - NOW == 16 * 3600
    limits.forget_expired(midnight - 1)
    assert limits.client_remaining == 0
    limits.forget_expired(midnight)
    assert limits.client_remaining == 12500 and keep_reserve(0)(limits, "GET", 1, midnight) == 0


def test_client_reset_is_read_in_seconds_and_garbled_counts_are_ignored() -> None:
    limits = RateLimits()
    limits.update({"X-RateLimit-ClientRemaining": "0", "X-RateLimit-ClientReset": "86341",
                   "X-RateLimit-UserRemaining": "inf"}, NOW)
    assert (limits.client_remaining, limits.client_reset) == (0, NOW + 86341)
    assert limits.user_remaining is None
    assert request_cost("POST", "/oauth2/token") == 0  # OAuth calls cost nothing


def test_a_token_refresh_is_never_held_back_by_the_credit_reserve() -> None:
    def answer(seen: Seen) -> Answer:
        if seen.path == "/oauth2/token":
            return 200, {}, {"access_token": "a" * 40, "expires_in": 3600}
        return 429, {"x-ratelimit-clientremaining": "0"}, JSONAPI_429

    clock = FakeClock(NOW)
    with scripted_server(answer) as (url, seen):
        t = Transport("c", "secret", refresh_token="r" * 40, api_url=url, clock=clock,
                      sleep=clock.sleep, pacer=keep_reserve(5))
        with pytest.raises(RateLimited):
            t.request("GET", "3/account/me")
        asked = len(seen)
        t.set_tokens(Tokens(refresh_token="r" * 40), notify=False)  # the access token is gone
        with pytest.raises(RateLimited):  # refreshed, then the call itself is held back
            t.request("GET", "3/account/me")
    assert [s.path for s in seen[asked:]] == ["/oauth2/token"]
    assert t.tokens.access_token == "a" * 40
