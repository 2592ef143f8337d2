"""The transport against the sandbox: retries, typed errors, token refresh, pacing, secrecy."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests.certs
import urllib3
from support import FakeClock

from imgur_sync.api.errors import (
    AuthenticationError,
    BadRequest,
    BrokenDownload,
    MediaRemoved,
    NotFound,
    OverCapacity,
    RateLimited,
    ServerError,
    TransportError,
    UsageError,
    why_no_answer,
)
from imgur_sync.api.ratelimits import RateLimits, keep_reserve, request_cost
from imgur_sync.api.transport import RetryPolicy, Tokens, Transport, _failure
from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions

API_FAULTS = ["server_error", "rate_limit", "over_capacity", "malformed_json", "html_503",
              "slow", "token_expiry"]


def transport(sb: Sandbox, clock: FakeClock | None = None, **kwargs: object) -> Transport:
    """A transport signed in with the sandbox's refresh token; waits go to a fake clock."""
    clock = clock or FakeClock()
    options: dict = {"refresh_token": sb.refresh_token, "api_url": sb.url,
                     "clock": clock, "sleep": clock.sleep, "random": lambda: 0.5}
    options.update(kwargs)
    return Transport(sb.client_id, sb.client_secret, **options)


@pytest.mark.parametrize("kind", API_FAULTS)
def test_every_fault_kind_is_retried_to_the_right_answer(
        start_sandbox: Callable[..., Sandbox], kind: str) -> None:
    sb = start_sandbox("demo", faults=FaultPlan(rates={kind: 0.3}, seed=7, slow_seconds=0.01,
                                                retry_after=3))
    clock, tokens = FakeClock(), []
    t = transport(sb, clock, on_token=tokens.append)
    expected = [a.id for a in sb.world.albums_of(sb.username)]
    for _ in range(25):
        assert [a["id"] for a in t.request("GET", "3/account/me/albums/0")] == expected
    faulted = sb.counters.requests - 25  # `requests` counts /3/ calls, not /oauth2/token
    if kind == "slow":
        assert clock.slept == []  # slow answers are answers: nothing to retry
    elif kind == "token_expiry":
        assert len(tokens) > 2 and clock.slept == []  # each refusal refreshed, none waited
    else:
        assert faulted > 3 and len(clock.slept) == faulted
    if kind == "rate_limit":
        assert set(clock.slept) == {3.0}  # Retry-After honoured


def test_not_found_and_bad_request_raise_at_once(demo: Sandbox) -> None:
    t = transport(demo)
    before = demo.counters.requests
    with pytest.raises(NotFound) as missing:
        t.request("GET", "3/image/nosuchid")
    assert demo.counters.requests - before == 1
    err = missing.value
    assert (err.status, err.method, err.path, err.retryable) == (404, "GET", "/3/image/nosuchid",
                                                                 False)
    assert "Unable to find an image" in err.message and "nosuchid" in str(err)
    with pytest.raises(BadRequest):
        t.request("POST", "3/image", data={"type": "nonsense", "image": "x"})
    assert demo.counters.requests - before == 2


def test_gives_up_after_the_configured_attempts(start_sandbox: Callable[..., Sandbox]) -> None:
    sb = start_sandbox("demo", faults=FaultPlan(rates={"server_error": 1.0}))
    t = transport(sb, retry=RetryPolicy(attempts=4), refresh_token=None)
    with pytest.raises(ServerError) as failed:
        t.request("GET", "3/credits")
    assert failed.value.retryable and sb.counters.requests == 4
    assert "Could not complete request" in str(failed.value)


def test_over_capacity_is_typed_and_retryable(start_sandbox: Callable[..., Sandbox]) -> None:
    sb = start_sandbox("demo", faults=FaultPlan(rates={"over_capacity": 1.0}))
    with pytest.raises(OverCapacity) as failed:
        transport(sb, retry=RetryPolicy(attempts=2), refresh_token=None).request("GET",
                                                                                 "3/credits")
    assert failed.value.status == 403 and failed.value.retryable


def test_expired_token_is_refreshed_once_and_the_callback_gets_it(
        start_sandbox: Callable[..., Sandbox]) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(token_lifetime=600))
    tokens: list[Tokens] = []
    # expires_at unknown: the transport learns of expiry from the 403 alone.
    t = transport(sb, clock, access_token=sb.access_token(), on_token=tokens.append)
    assert t.request("GET", "3/account/me")["url"] == sb.username and tokens == []
    clock.now += 601
    assert t.request("GET", "3/account/me")["url"] == sb.username
    assert len(tokens) == 1 and sb.world.token_for(tokens[0].access_token) is not None
    assert tokens[0].expires_at == pytest.approx(clock.now + 600)


def test_token_is_refreshed_ahead_of_expiry(start_sandbox: Callable[..., Sandbox]) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(token_lifetime=600))
    tokens: list[Tokens] = []
    t = transport(sb, clock, on_token=tokens.append)
    t.request("GET", "3/account/me")
    clock.now += 590  # inside the 60 s margin
    before = sb.counters.by_status[403]
    t.request("GET", "3/account/me")
    assert len(tokens) == 2 and sb.counters.by_status[403] == before  # no refusal needed


def test_refused_refresh_token_says_to_sign_in_again(demo: Sandbox) -> None:
    t = transport(demo, refresh_token="0" * 40)
    with pytest.raises(AuthenticationError, match="imgur-sync auth"):
        t.request("GET", "3/account/me")


def test_user_call_without_credentials_is_a_usage_error(demo: Sandbox) -> None:
    t = transport(demo, refresh_token=None)
    with pytest.raises(UsageError, match="imgur-sync auth"):
        t.request("GET", "3/account/me", auth="user")
    assert t.request("GET", "3/credits")["ClientLimit"] == 12500  # Client-ID still works


def test_rate_limit_state_is_exposed(demo: Sandbox) -> None:
    t = transport(demo)
    t.request("GET", "3/account/me")
    first = t.limits.user_remaining
    t.request("GET", "3/account/me")
    assert first is not None and t.limits.user_remaining == first - 1
    image = t.request("POST", "3/image", files={"image": ("a.png", _png(), "image/png")})
    assert t.limits.user_remaining == first - 1 - 10  # an upload costs 10
    assert t.limits.post_remaining is not None and t.limits.post_reset is not None
    assert image["id"]


def test_rate_limit_headers_are_read_whatever_their_case() -> None:
    limits = RateLimits()
    limits.update({"x-ratelimit-userremaining": "7", "X-RATELIMIT-USERRESET": "1800000900",
                   "X-Post-Rate-Limit-Reset": "20", "x-ratelimit-clientremaining": "junk"},
                  now=1_800_000_000.0)
    assert (limits.user_remaining, limits.user_reset, limits.post_reset) == (
        7, 1_800_000_900.0, 1_800_000_020.0)
    assert limits.client_remaining is None
    assert request_cost("POST", "/3/image") == 10 and request_cost("GET", "3/image") == 1


def test_pacer_waits_for_the_reset_instead_of_hitting_429(
        start_sandbox: Callable[..., Sandbox]) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(
        user_limit=5, user_window=100, enforce_rate_limits=True))
    t = transport(sb, clock, retry=RetryPolicy(max_wait=1000))
    for _ in range(12):
        t.request("GET", "3/account/me")
    assert sb.counters.by_status[429] == 0
    assert len(clock.slept) == 2 and all(90 <= s <= 100 for s in clock.slept)


def test_pacer_keeps_a_reserve_and_refuses_long_waits(
        start_sandbox: Callable[..., Sandbox]) -> None:
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(
        user_limit=5, user_window=3600, enforce_rate_limits=True))
    t = transport(sb, clock, pacer=keep_reserve(2))
    for _ in range(3):  # 5 credits, 2 kept back
        t.request("GET", "3/account/me")
    requests_before = sb.counters.requests
    with pytest.raises(RateLimited, match="try again later") as refused:
        t.request("GET", "3/account/me")
    assert sb.counters.requests == requests_before and refused.value.retry_after > 3000


def test_threads_that_pace_together_do_not_spend_the_same_last_credits(
        start_sandbox: Callable[..., Sandbox]) -> None:
    # A pull fetches albums on several threads through one transport. The counters are
    # those of the last answer, so without counting the calls in flight every thread would
    # see the same last credits and send: Imgur answers 429 to all but the first.
    clock = FakeClock()
    sb = start_sandbox("demo", clock=clock, options=SandboxOptions(
        user_limit=6, user_window=3600, enforce_rate_limits=True))
    t = transport(sb, clock)
    t.request("GET", "3/account/me")  # the counters: 5 of 6 left, for the hour
    together = threading.Barrier(8)
    answered: list[str] = []
    refused: list[BaseException] = []

    def call() -> None:
        together.wait(timeout=30)
        try:
            answered.append(t.request("GET", "3/account/me")["url"])
        except RateLimited as exc:  # the hour's reset is too far to wait for
            refused.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert sb.counters.by_status.get(429, 0) == 0
    assert (len(answered), len(refused)) == (5, 3)
    assert all("try again later" in str(exc) for exc in refused)
    assert t.limits.in_flight == 0


def test_media_is_asked_for_as_a_browser_would(start_sandbox: Callable[..., Sandbox]) -> None:
    # i.imgur.com can refuse library User-Agents (docs/IMGUR-API.md §Media); the sandbox does here.
    sb = start_sandbox("demo", faults=FaultPlan(rates={"library_agent": 1.0}))
    t = transport(sb)
    image = sb.world.images_of(sb.username)[0]
    with t.open_media(t.request("GET", f"3/image/{image.id}")["link"]) as response:
        assert b"".join(response.iter_content(1024))[:4] == b"\x89PNG"
    assert "library_agent" not in sb.counters.faults


def test_removed_media_is_never_returned_as_content(demo: Sandbox) -> None:
    t = transport(demo)
    image = demo.world.images_of(demo.username)[0]
    link = t.request("GET", f"3/image/{image.id}")["link"]
    with t.open_media(link) as response:
        assert b"".join(response.iter_content(1024))[:4] == b"\x89PNG"
    demo.world.remove_media(image.id)
    with pytest.raises(MediaRemoved):
        t.open_media(link)


@contextmanager
def media_host(body_for: Callable[[str], bytes]) -> Iterator[tuple[str, list[str], list[object]]]:
    """An HTTP/1.1 keep-alive server on 127.0.0.1 answering every GET with ``body_for(path)``.

    Yields its address, the paths asked for (absolute URLs when it is used as a proxy) and
    one entry per connection opened; the sandbox cannot show reuse (it closes each one).
    """
    seen: list[str] = []
    connections: list[object] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            connections.append(self.client_address)

        def do_GET(self) -> None:
            seen.append(self.path)
            body = body_for(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen, connections
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    """A forward proxy on 127.0.0.1 that answers every GET with a PNG and notes its target."""
    with media_host(lambda path: b"\x89PNG from the proxy") as (address, seen, _):
        yield address, seen


def test_media_connections_are_reused_only_when_read_to_the_end() -> None:
    def body_for(path: str) -> bytes:  # a different body per path: a mix-up would show
        return path.encode() * (200_000 if "big" in path else 10)

    with media_host(body_for) as (address, _, connections):
        t = Transport("client", clock=FakeClock(), sleep=FakeClock().sleep,
                      media_origins=[address])
        for n in range(5):
            with t.open_media(f"{address}/{n}.png") as response:
                assert b"".join(response.iter_content(4096)) == body_for(f"/{n}.png")
        assert len(connections) == 1  # one kept-alive connection for five downloads
        with t.open_media(f"{address}/big.png") as response:
            next(response.iter_content(4096))  # given up after the first chunk
        with t.open_media(f"{address}/after.png") as response:
            assert b"".join(response.iter_content(4096)) == body_for("/after.png")
        assert len(connections) == 2  # the half-read connection was dropped, not reused


def test_media_goes_through_the_proxy_the_environment_names(
        demo: Sandbox, proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    address, seen = proxy
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", address)
    t = transport(demo, media_origins=["http://media.example"])
    with t.open_media("http://media.example/abc.png") as response:
        assert b"".join(response.iter_content(1024)) == b"\x89PNG from the proxy"
    assert seen == ["http://media.example/abc.png"]
    # NO_PROXY exempts a host, read on every download as requests does.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    image = demo.world.images_of(demo.username)[0]
    link = t.request("GET", f"3/image/{image.id}")["link"]
    with t.open_media(link) as response:
        assert b"".join(response.iter_content(1024))[:4] == b"\x89PNG"
    assert seen == ["http://media.example/abc.png"]


@pytest.mark.parametrize("proxied", [False, True], ids=["no proxy", "proxy"])
def test_media_checks_certificates_as_requests_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxied: bool) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy",
                 "NO_PROXY", "all_proxy", "ALL_PROXY", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    if proxied:  # requests' per-request path: the bundle must still be the environment's
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    bundle = tmp_path / "corporate-ca.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert Transport("c").media.tls == {"cert_reqs": "CERT_REQUIRED", "ca_certs": str(bundle)}
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path))  # a folder of certificates
    assert Transport("c").media.tls == {"cert_reqs": "CERT_REQUIRED",
                                        "ca_cert_dir": str(tmp_path)}
    assert Transport("c", verify=False).media.tls == {"cert_reqs": "CERT_NONE"}
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert Transport("c").media.tls == {"cert_reqs": "CERT_REQUIRED",
                                        "ca_certs": requests.certs.where()}


def test_no_answer_is_explained_in_plain_words(refusing_url: str) -> None:
    t = Transport("c", api_url=refusing_url, retry=RetryPolicy(1))
    with pytest.raises(TransportError, match=r"^No answer from Imgur: the connection was "
                                             r"refused \(GET /3/image/x\)$"):
        t.request("GET", "3/image/x")
    with pytest.raises(TransportError, match=r"^No answer from the media host: the connection "
                                             r"was refused"):
        t.open_media(f"{refusing_url}/x.png")


def test_a_silent_server_is_reported_as_timed_out() -> None:
    with socket.socket() as sock:  # accepts connections (the backlog) and never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        address = f"http://127.0.0.1:{sock.getsockname()[1]}"
        t = Transport("c", api_url=address, retry=RetryPolicy(1), timeout=(2.0, 0.2))
        with pytest.raises(TransportError, match="No answer from Imgur: it timed out"):
            t.request("GET", "3/image/x")
        with pytest.raises(TransportError, match="media host: it timed out"):
            t.open_media(f"{address}/x.png")


def _wrapped(inner: BaseException, *outer: type[BaseException]) -> BaseException:
    """``inner`` raised and wrapped by each of ``outer`` in turn, as the libraries do."""
    error = inner
    for wrapper in outer:
        try:
            raise wrapper(error) from error
        except BaseException as caught:
            error = caught
    return error


@pytest.mark.parametrize(("error", "words"), [
    (_wrapped(socket.gaierror(-2, "Name or service not known"), urllib3.exceptions.HTTPError,
              requests.ConnectionError), "the host name could not be resolved"),
    (_wrapped(ssl.SSLCertVerificationError("certificate verify failed"),
              requests.exceptions.SSLError), "TLS certificate could not be verified"),
    (_wrapped(OSError("tunnel refused"), requests.exceptions.ProxyError),
     "the proxy failed or refused"),
    (_wrapped(ConnectionResetError(104, "reset"), requests.ConnectionError),
     "the connection was cut off"),
    (ValueError("odd"), "the connection failed (ValueError)"),
])
def test_why_no_answer_finds_the_fact_under_the_wrappers(error: BaseException,
                                                        words: str) -> None:
    assert words in why_no_answer(error)


def test_a_media_body_cut_short_raises_broken_download(
        start_sandbox: Callable[..., Sandbox]) -> None:
    sb = start_sandbox("demo", faults=FaultPlan(rates={"truncated_media": 1.0}, seed=1))
    t = transport(sb)
    image = sb.world.images_of(sb.username)[0]
    response = t.open_media(t.request("GET", f"3/image/{image.id}")["link"])
    with pytest.raises(BrokenDownload, match="broke off"), response:
        b"".join(response.iter_content(1024))


def test_no_secret_reaches_the_logs(start_sandbox: Callable[..., Sandbox],
                                    caplog: pytest.LogCaptureFixture) -> None:
    sb = start_sandbox("demo", faults=FaultPlan(
        rates={"token_expiry": 0.2, "server_error": 0.1, "malformed_json": 0.1}, seed=3))
    tokens: list[Tokens] = []
    caplog.set_level(logging.DEBUG)
    t = transport(sb, on_token=tokens.append)
    for _ in range(20):
        t.request("GET", "3/account/me/images/0")
    t.request("POST", "3/image", files={"image": ("a.png", _png(), "image/png")})
    with pytest.raises(AuthenticationError) as refused:
        transport(sb, refresh_token="f" * 40).request("GET", "3/account/me")
    secrets = {sb.client_secret, sb.refresh_token, "f" * 40}
    secrets |= {tok.access_token for tok in tokens if tok.access_token}
    assert len(tokens) > 1 and len(caplog.records) > 20
    text = caplog.text + str(refused.value) + repr(tokens)
    assert not [s for s in secrets if s in text]


@pytest.mark.parametrize(("status", "body", "expected"), [
    (429, {"errors": [{"code": "429", "status": "Too Many Requests",
                       "detail": "Too Many Requests"}]}, (429, "Too Many Requests")),
    (500, {"data": {"error": {"code": 500, "message": "Could not complete request"}},
           "success": False, "status": 500}, (500, "Could not complete request")),
    (500, {"data": "An error occurred", "success": False, "status": 500},
     (500, "An error occurred")),
    (200, {"data": {"error": "Imgur is over capacity. Please try again."}, "success": False,
           "status": 1203}, (1203, "Imgur is over capacity. Please try again.")),
    (400, {"data": False, "success": False, "status": 400}, (400, "HTTP 400")),
    (403, {"message": "Missing Mashape application key."},
     (403, "Missing Mashape application key.")),
    (200, {"data": [], "success": True, "status": 200}, (None, "")),
])
def test_every_error_body_shape_is_understood(status: int, body: dict,
                                              expected: tuple[int | None, str]) -> None:
    assert _failure(status, body) == expected


def _png() -> bytes:
    from imgur_sync.sandbox.media import render_tiny_png
    return render_tiny_png(1)


def test_environment_is_read_once_unless_proxies_need_it(
        monkeypatch: pytest.MonkeyPatch, demo: Sandbox) -> None:
    for name in ("http_proxy", "HTTPS_PROXY", "all_proxy", "no_proxy", "NO_PROXY",
                 "HTTP_PROXY", "https_proxy", "ALL_PROXY", "REQUESTS_CA_BUNDLE",
                 "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    quiet = transport(demo)
    assert quiet.session.trust_env is False
    assert quiet.session.verify == "/etc/ssl/certs/ca-certificates.crt"
    assert quiet.request("GET", "3/credits")["ClientLimit"] == 12500
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert transport(demo).session.trust_env is True  # requests applies proxies per request
