"""Media downloads over urllib3 directly, without requests' session layer.

A media GET needs no cookies, hooks, authentication or JSON, and a mirror makes tens of
thousands of them. requests' session machinery around urllib3 (merging settings, cookie
jars, hooks, redirect bookkeeping) doubled the client's CPU per small download (measured:
0.6 ms against 0.3 ms a GET against the sandbox), so media goes to urllib3, the library
requests itself sends with. The API calls keep requests (:mod:`.transport`).

What requests would have done is kept: the environment's proxies (``HTTP(S)_PROXY``,
``NO_PROXY``, read by requests' own helpers) and CA bundle, the ``verify`` setting,
redirects followed (and recorded, to recognise Imgur's ``removed.png``), gzip decoded, and
a body that ends before its ``Content-Length`` reported as a broken download.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import requests.certs
import requests.utils
import urllib3
from urllib3.util import Retry, Timeout

from .errors import BrokenDownload, TransportError, why_no_answer

__all__ = ["MediaHttp", "MediaResponse"]

MAX_REDIRECTS = 10
POOL_SIZE = 64  # the most parallel downloads the config allows: no connection is discarded


class MediaResponse:
    """An answer from a media host, its body not yet read (read with :meth:`iter_content`)."""

    def __init__(self, raw: urllib3.BaseHTTPResponse, url: str) -> None:
        self.raw = raw
        self.status_code = raw.status
        self.headers = raw.headers
        self.url = raw.geturl() or url
        retries = raw.retries
        self.redirects = [h.redirect_location or "" for h in (retries.history if retries else ())]
        self._read_all = False

    def iter_content(self, chunk_size: int) -> Iterator[bytes]:
        """Yield the (decoded) body; a connection that breaks raises :class:`BrokenDownload`."""
        try:
            yield from self.raw.stream(chunk_size, decode_content=True)
        except urllib3.exceptions.HTTPError as exc:
            raise BrokenDownload(f"The download broke off: {why_no_answer(exc)}",
                                 method="GET", path=self.url) from exc
        self._read_all = True

    def close(self) -> None:
        """Give the connection back to the pool when the body was read, else drop it."""
        if not self._read_all:
            self.raw.close()
        self.raw.release_conn()

    def __enter__(self) -> MediaResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MediaHttp:
    """Connection pools for media hosts: direct, or through the proxy the environment names."""

    def __init__(self, *, verify: bool | str, timeout: float | tuple[float, float],
                 headers: dict[str, str], trust_env: bool) -> None:
        self.trust_env = trust_env
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.timeout = Timeout(connect=connect, read=read)
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
        # Redirects followed, nothing else retried here: the transport retries with backoff.
        self._retries = Retry(total=None, connect=0, read=0, status=0, other=0,
                              redirect=MAX_REDIRECTS, raise_on_redirect=True,
                              raise_on_status=False)

    def get(self, url: str) -> MediaResponse:
        """Start a GET of ``url``; any HTTP status is returned, a failed connection raises."""
        try:
            raw = self._manager(url).request(
                "GET", url, headers=self.headers, preload_content=False, redirect=True,
                retries=self._retries, timeout=self.timeout)
        except urllib3.exceptions.HTTPError as exc:
            raise TransportError(f"No answer from the media host: {why_no_answer(exc)}",
                                 method="GET", path=url) from exc
        return MediaResponse(raw, url)

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

