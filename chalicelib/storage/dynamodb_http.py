"""The HTTP/1.1 exchange under the lean DynamoDB transport (`dynamodb_wire`): one request written
in one send, the answer read by its Content-Length (or chunks), the connection kept for the next.

DynamoDB answers small JSON bodies, so a general client's header parsing (http.client builds an
email message per answer) costs more CPU than the call; this reads only the status, the length and
the CRC32 header. A kept connection the server closed while idle is noticed before reuse (it reads
as ready: end of stream), as urllib3 notices it; TLS is verified against the CA bundle given.
"""

from __future__ import annotations

import select
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


class BrokenAnswer(OSError):
    """The server closed the connection or answered something that is not HTTP/1.1."""


@dataclass(frozen=True)
class Reply:
    """Status, CRC32 header (if any) and body of one answer."""

    status: int
    crc32: str | None
    body: bytes


class Connections:
    """Kept-alive connections to one endpoint (http or https), taken one per request."""

    def __init__(self, endpoint: str, connect_timeout: float, read_timeout: float,
                 ca_certs: str | None = None, keep: int = 10) -> None:
        parts = urlsplit(endpoint)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.tls else 80)
        self.connect_timeout, self.read_timeout, self.keep = connect_timeout, read_timeout, keep
        self.context = ssl.create_default_context(cafile=ca_certs) if self.tls else None
        self.idle: list[socket.socket] = []

    def exchange(self, head: bytes, body: bytes) -> Reply:
        """Send one request and read its answer; OSError when the connection fails."""
        sock = self._take()
        try:
            sock.sendall(head + body)
            reply, reusable = _read_reply(sock)
        except BaseException:
            sock.close()
            raise
        if reusable and len(self.idle) < self.keep:
            self.idle.append(sock)
        else:
            sock.close()
        return reply

    def close(self) -> None:
        """Close every kept connection."""
        while self.idle:
            self.idle.pop().close()

    def _take(self) -> socket.socket:
        """A kept connection still open, else a new one (threads share the pool: each pop
        may find it emptied by another)."""
        while True:
            try:
                sock = self.idle.pop()
            except IndexError:
                return self._open()
            if not _closed_by_peer(sock):
                return sock
            sock.close()

    def _open(self) -> socket.socket:
        """A new connection: TCP and the TLS handshake within the connect timeout, reads within
        the read timeout."""
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.context is not None:
            try:
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        sock.settimeout(self.read_timeout)
        return sock


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle connection that reads as ready was closed (or sent junk): not reusable."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _read_reply(sock: socket.socket) -> tuple[Reply, bool]:
    """The answer, and whether the connection may carry another request."""
    buffer = _Buffer(sock)
    head = buffer.until(b"\r\n\r\n").decode("latin-1").split("\r\n")
    version, _, rest = head[0].partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise BrokenAnswer("not an HTTP/1.1 answer")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _chunked(buffer)
    else:
        body = buffer.exactly(_length(headers.get("content-length")))
    reusable = (headers.get("connection", "").lower() != "close"
                and version == "HTTP/1.1" and not buffer.data)
    return Reply(int(rest[:3]), headers.get("x-amz-crc32"), body), reusable


def _length(value: str | None) -> int:
    if value is None or not value.isdigit() or int(value) > MAX_BODY:
        raise BrokenAnswer("no usable Content-Length")
    return int(value)


def _chunked(buffer: _Buffer) -> bytes:
    """A chunked body, its chunks joined (trailers read and dropped)."""
    parts: list[bytes] = []
    while True:
        size = _chunk_size(buffer.until(b"\r\n"))
        if size == 0:
            while buffer.until(b"\r\n"):
                pass
            return b"".join(parts)
        parts.append(buffer.exactly(size))
        buffer.exactly(2)


def _chunk_size(line: bytes) -> int:
    digits = line.split(b";")[0].strip()
    if not digits or digits.strip(b"0123456789abcdefABCDEF"):
        raise BrokenAnswer("a chunk without a size")
    return int(digits, 16)


class _Buffer:
    """Bytes read from a socket, consumed from the front."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.data = sock, b""

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise BrokenAnswer("the connection closed before the answer ended")
        self.data += chunk

    def until(self, marker: bytes) -> bytes:
        """Everything before `marker` (consumed with it)."""
        while (end := self.data.find(marker)) < 0:
            if len(self.data) > MAX_HEAD:
                raise BrokenAnswer("an answer's head is too long")
            self._more()
        found, self.data = self.data[:end], self.data[end + len(marker):]
        return found

    def exactly(self, size: int) -> bytes:
        """The next `size` bytes."""
        while len(self.data) < size:
            self._more()
        found, self.data = self.data[:size], self.data[size:]
        return found
