"""Media downloads over urllib3 directly, without requests' session layer.

A media GET needs no cookies, hooks, authentication or JSON, and a mirror makes tens of
thousands of them. requests' session machinery around urllib3 (merging settings, cookie
jars, hooks, redirect bookkeeping) doubled the client's CPU per small download (measured:
0.6 ms against 0.3 ms a GET against the sandbox), so media goes to urllib3, the library
requests itself sends with. The API calls keep requests (:mod:`.transport`).

What requests would have done is kept: the environment's proxies (``HTTP(S)_PROXY``,
``NO_PROXY``, read by requests' own helpers) and CA bundle, the ``verify`` setting,
redirects followed (each address shown to the caller, to recognise Imgur's ``removed.png``
and refuse untrusted hosts), gzip decoded, and
a body that ends before its ``Content-Length`` reported as a broken download.

What requests would not do, because media links come from a server and a download must
end: every address, redirects included, is checked before it is fetched (the transport
says which hosts are trusted); a body is read no further than its declared size (or
``MediaLimits.max_size``) and no longer than its size allows at a minimum rate; and each
read waits at most ``MediaLimits.quiet`` seconds, so a stop request is never held up long.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import requests.certs
import requests.utils
import urllib3
from urllib3.util import Retry, Timeout

from .errors import BrokenDownload, MediaRefused, TransportError, why_no_answer

__all__ = ["IMGUR_MEDIA_HOSTS", "MediaHttp", "MediaLimits", "MediaResponse", "origin",
           "trusted_media_url"]

MAX_REDIRECTS = 10
POOL_SIZE = 64  # the most parallel downloads the config allows: no connection is discarded
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Where Imgur serves media (gallery-dl also meets i.imgur.io); thumbnails live there too.
IMGUR_MEDIA_HOSTS = frozenset({"i.imgur.com", "i.imgur.io"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port)


def origin(url: str) -> Origin | None:
    """Return the (scheme, host, port) of an http(s) ``url``, None for anything else."""
    try:
        parts = urlsplit(url)
        return _origin(parts)
    except ValueError:  # a port that is not a number, a broken IPv6 address
        return None


def _origin(parts: SplitResult) -> Origin | None:
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[scheme]


def trusted_media_url(url: str, origins: frozenset[Origin]) -> str:
    """Return the address to fetch ``url`` at; raise :class:`MediaRefused` if it is not trusted.

    Media links come from a server, so they are checked before anything is sent: Imgur's
    media hosts are fetched over https (older answers give http:// links), any other
    address only when its scheme, host and port are one of ``origins`` (the API's own:
    the sandbox serves its media there). Never ``file:`` or another scheme.
    """
    scheme, where = "", None
    try:
        parts = urlsplit(url)
        scheme, where = parts.scheme, _origin(parts)
    except ValueError:
        pass
    if where is not None and where[1] in IMGUR_MEDIA_HOSTS and where[2] == _DEFAULT_PORTS[
            where[0]] and not (parts.username or parts.password):
        return urlunsplit(("https", where[1], parts.path or "/", parts.query, ""))
    if where is not None and where in origins:
        return url
    shown = (f"{where[0]}://{where[1]}:{where[2]}" if where
             else f"a {scheme}: address" if scheme.isalnum() else "no usable address")
    raise MediaRefused(f"The media link points at {shown}, which is neither an Imgur media "
                       "host nor the configured api_url, so it was not fetched",
                       path=shown)


@dataclass(frozen=True)
class MediaLimits:
    """When a media download is given up: too many bytes, too slow, or a host gone quiet."""

    #: Bytes, when the size is not known beforehand: Imgur takes videos of up to 200 MB.
    max_size: int = 250_000_000
    #: Bytes read past a declared size before the body is refused as longer than declared.
    margin: int = 64 * 1024
    #: A download slower than this many bytes per second on average is given up...
    min_rate: float = 50_000.0
    #: ...once it has taken longer than this many seconds (what a small file may take).
    min_time: float = 30.0
    #: The longest wait for a connection or the next bytes: a stop request waits no longer.
    quiet: float = 5.0

    def time_for(self, size: int) -> float:
        """Return how many seconds a download of ``size`` bytes may take."""
        return max(self.min_time, size / self.min_rate)


class MediaResponse:
    """An answer from a media host, its body not yet read (read with :meth:`iter_content`)."""

    def __init__(self, raw: urllib3.BaseHTTPResponse, url: str, limits: MediaLimits,
                 clock: Callable[[], float]) -> None:
        self.raw = raw
        self.status_code = raw.status
        self.headers = raw.headers
        self.url = url
        self.limits, self.clock = limits, clock
        self._read_all = False

    def iter_content(self, chunk_size: int, *, size: int | None = None) -> Iterator[bytes]:
        """Yield the (decoded) body as it arrives, within the limits.

        ``size`` is the size the API declared (None or 0: unknown, then the limit is
        ``MediaLimits.max_size``). A body longer than that, or slower than the limits
        allow, raises :class:`MediaRefused`; a connection that breaks raises
        :class:`BrokenDownload`.
        """
        limits, clock, url = self.limits, self.clock, self.url
        declared = size if size and size > 0 else None
        cap = declared + limits.margin if declared else limits.max_size
        length = self._length()
        if length is not None and length > cap:
            raise MediaRefused(f"The media host sends {length} bytes, more than the "
                               f"{_expected(declared, cap)}; it was not downloaded",
                               method="GET", path=url)
        allowed = limits.time_for(declared or length or cap)
        deadline = clock() + allowed
        read1, got = self.raw.read1, 0
        try:
            # read1: whatever has arrived, so the checks run even on a body that drips.
            while chunk := read1(chunk_size):
                got += len(chunk)
                if got > cap:
                    raise MediaRefused(f"The media body is longer than the "
                                       f"{_expected(declared, cap)}; the download was "
                                       "stopped", method="GET", path=url)
                if clock() > deadline:
                    raise MediaRefused(f"The download was too slow: {got} bytes in "
                                       f"{allowed:g} s; the next pull tries again",
                                       method="GET", path=url)
                yield chunk
                if got == length:
                    break  # the whole body: no read just to meet its end (a small file's cost)
        except urllib3.exceptions.HTTPError as exc:
            raise BrokenDownload(f"The download broke off: {why_no_answer(exc)}",
                                 method="GET", path=url) from exc
        self._read_all = True

    def _length(self) -> int | None:
        """The declared body length, when it counts the bytes we read (not encoded ones)."""
        if self.headers.get("Content-Encoding"):
            return None
        length = self.headers.get("Content-Length", "")
        return int(length) if length.isdigit() else None

    def close(self) -> None:
        """Give the connection back to the pool when the body was read, else drop it."""
        if not self._read_all:
            self.raw.close()
        self.raw.release_conn()

    def __enter__(self) -> MediaResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _expected(declared: int | None, cap: int) -> str:
    return (f"{declared} bytes Imgur declared" if declared
            else f"{cap} bytes allowed for media of unknown size (max_download_size)")


class MediaHttp:
    """Connection pools for media hosts: direct, or through the proxy the environment names."""

    def __init__(self, *, verify: bool | str, timeout: float | tuple[float, float],
                 headers: dict[str, str], trust_env: bool,
                 limits: MediaLimits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.trust_env = trust_env
        self.limits, self.clock = limits or MediaLimits(), clock
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        quiet = self.limits.quiet
        self.timeout = Timeout(connect=min(connect, quiet), read=min(read, quiet))
        self.headers = {**urllib3.util.make_headers(keep_alive=True, accept_encoding=True),
                        "Accept": "*/*", **headers}
        # The certificate settings every pool uses, as urllib3 takes them.
        self.tls: dict[str, Any] = {"cert_reqs": "CERT_NONE"} if verify is False else {
            "cert_reqs": "CERT_REQUIRED",
            ("ca_cert_dir" if isinstance(verify, str) and os.path.isdir(verify) else "ca_certs"):
                verify if isinstance(verify, str) else requests.certs.where()}
        self._direct = urllib3.PoolManager(maxsize=POOL_SIZE, **self.tls)
        self._proxied: dict[str, urllib3.PoolManager] = {}
        self._lock = threading.Lock()
        # Nothing retried here: the transport retries with backoff. Redirects are followed
        # in get(), so that every address is checked before it is fetched.
        self._retries = Retry(total=None, connect=0, read=0, status=0, other=0,
                              redirect=0, raise_on_status=False)

    def get(self, url: str, check: Callable[[str], str]) -> MediaResponse:
        """Start a GET of ``url``; any HTTP status is returned, a failed connection raises.

        ``check`` returns the address to fetch for each address met, the first and every
        redirect's (or raises, refusing it), before anything is sent there.
        """
        redirects = 0
        target = check(url)
        while True:
            try:
                raw = self._manager(target).request(
                    "GET", target, headers=self.headers, preload_content=False,
                    redirect=False, retries=self._retries, timeout=self.timeout)
            except urllib3.exceptions.HTTPError as exc:
                raise TransportError(f"No answer from the media host: {why_no_answer(exc)}",
                                     method="GET", path=url) from exc
            location = raw.get_redirect_location() if raw.status in REDIRECTS else None
            if not location:
                return MediaResponse(raw, target, self.limits, self.clock)
            raw.close()  # a redirect's body is not worth reading; its connection goes
            raw.release_conn()
            redirects += 1
            if redirects > MAX_REDIRECTS:
                raise TransportError(f"The media host redirected more than {MAX_REDIRECTS} "
                                     "times", method="GET", path=url)
            target = check(urljoin(target, location))

    def _manager(self, url: str) -> urllib3.PoolManager:
        proxy = None
        if self.trust_env:
            proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
        if not proxy:
            return self._direct
        with self._lock:
            manager = self._proxied.get(proxy)
            if manager is None:
                manager = self._proxied[proxy] = _proxy_manager(proxy, self.tls)
            return manager


def _proxy_manager(proxy: str, tls: dict[str, Any]) -> urllib3.PoolManager:
    if proxy.lower().startswith("socks"):
        try:
            from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError:
            raise TransportError(f"The proxy {requests.utils.urldefragauth(proxy)} is a SOCKS "
                                 "proxy, which needs PySocks: pip install pysocks",
                                 method="GET", path="") from None
        return SOCKSProxyManager(proxy, maxsize=POOL_SIZE, **tls)
    auth = requests.utils.get_auth_from_url(proxy)
    proxy_headers = (urllib3.util.make_headers(proxy_basic_auth=":".join(auth))
                     if any(auth) else None)
    return urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, maxsize=POOL_SIZE, **tls)

