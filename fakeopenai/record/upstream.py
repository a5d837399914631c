"""The proxy's HTTP/1.1 client for the upstream: keep-alive connections on asyncio streams, each
request written in one piece, the answer's head parsed by hand, its body read by length, by chunks
or to the end of the connection, and handed on as it arrives.

It does only what the proxy needs (no redirects, no cookies, no HTTP/2, no proxies), which is why it
costs a fraction of a general client per request: the proxy must add well under a millisecond.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

# What a failed exchange with the upstream raises: the network, a timeout, or an answer that is not HTTP.
NETWORK_ERRORS = (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                  ValueError)

_LIMIT = 1 << 20                 # the longest head line or chunk-size line read at once


class UpstreamClosed(EOFError):
    """The upstream closed a kept-alive connection before answering (it may be retried on a new one)."""


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


@dataclass
class Answer:
    """The upstream's status and headers (names in lower case, as sent otherwise); ``body()`` gives
    its body's pieces as they arrive, ``close()`` gives the connection back (or drops it)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    _client: Upstream
    _reader: asyncio.StreamReader
    _writer: asyncio.StreamWriter
    _length: int | None = None          # content-length, or None
    _chunked: bool = False
    _reusable: bool = True
    _done: bool = False
    _timeout: float = 600.0

    async def body(self) -> AsyncIterator[bytes]:
        reader, timeout = self._reader, self._timeout
        if self._chunked:
            while True:
                async with asyncio.timeout(timeout):
                    line = await reader.readuntil(b"\r\n")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    async with asyncio.timeout(timeout):
                        while await reader.readuntil(b"\r\n") != b"\r\n":   # trailers
                            pass
                    break
                async with asyncio.timeout(timeout):
                    data = await reader.readexactly(size + 2)
                yield data[:-2]
        elif self._length is not None:
            left = self._length
            while left > 0:
                async with asyncio.timeout(timeout):
                    data = await reader.read(min(left, 1 << 16))
                if not data:
                    raise asyncio.IncompleteReadError(b"", left)
                left -= len(data)
                yield data
        else:
            self._reusable = False
            while True:
                async with asyncio.timeout(timeout):
                    data = await reader.read(1 << 16)
                if not data:
                    break
                yield data
        self._done = True

    def close(self) -> None:
        # (a client closed meanwhile, e.g. the proxy stopped while this answer's last bytes went out, keeps
        # no idle connection: nothing would close it)
        if self._done and self._reusable and not self._reader.at_eof() and not self._client.closed:
            self._client.idle.append((self._reader, self._writer))
        else:
            self._writer.close()


@dataclass
class Upstream:
    """Keep-alive connections to one upstream (``http://`` or ``https://``, with a base path)."""

    url: str
    connect_timeout: float = 10.0
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.tls = parts.scheme == "https"
        self.hostname = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.tls else 80)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        self.host_header = netloc.encode()
        self.base = urlunsplit(("", "", parts.path.rstrip("/"), "", "")).encode()
        self._ssl: ssl.SSLContext | None = _ssl_context() if self.tls else None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with asyncio.timeout(self.connect_timeout):
            return await asyncio.open_connection(self.hostname, self.port, ssl=self._ssl, limit=_LIMIT,
                                                 server_hostname=self.hostname if self.tls else None)

    async def request(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes,
                      timeout: float) -> Answer:
        """Send the request (``target``: the path and query after the base path) and read the answer's head."""
        head = [method.encode(), b" ", self.base, target, b" HTTP/1.1\r\nhost: ", self.host_header, b"\r\n"]
        for name, value in headers:
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        data = b"".join(head) + body
        while self.idle:
            reader, writer = self.idle.pop()
            if reader.at_eof() or writer.is_closing():
                writer.close()
                continue
            try:
                return await self._exchange(reader, writer, method, data, timeout, reused=True)
            except UpstreamClosed:
                continue        # the upstream let this kept-alive connection go: a new one
        reader, writer = await self._connect()
        return await self._exchange(reader, writer, method, data, timeout, reused=False)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str, data: bytes,
                        timeout: float, reused: bool) -> Answer:
        try:
            writer.write(data)
            if writer.transport.get_write_buffer_size() > 1 << 16:
                async with asyncio.timeout(timeout):
                    await writer.drain()
            async with asyncio.timeout(timeout):
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError as exc:
                    if reused and not exc.partial:     # closed while idle, before it read this request
                        raise UpstreamClosed() from exc
                    raise
                except (ConnectionResetError, BrokenPipeError) as exc:
                    if reused:
                        raise UpstreamClosed() from exc
                    raise
        except BaseException:
            writer.close()
            raise
        lines = raw[:-4].split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        if not version.startswith(b"HTTP/1."):
            writer.close()
            raise ValueError(f"not an HTTP/1.1 answer: {lines[0][:80]!r}")
        status = int(rest[:3])
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        reusable = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            headers.append((name, value))
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                reusable = b"close" not in value.lower() and (reusable or b"keep-alive" in value.lower())
        if chunked:
            length = None
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length, chunked = 0, False
        return Answer(status, headers, self, reader, writer, length, chunked, reusable, _timeout=timeout)

    async def aclose(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        for _, writer in idle:
            writer.close()
        for _, writer in idle:
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass
