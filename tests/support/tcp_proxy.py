"""A small threaded TCP proxy for network fault injection (kernel traffic shaping is not
available on the test machines): tacmaild connects to the proxy, the proxy to the real server.

Modes, switchable while connections are open:
  forward()                    pass bytes both ways unchanged (the default);
  blackhole()                  stop passing bytes in both directions without closing anything
                               (bytes stay in the kernel buffers, new connections are accepted
                               but never connected upstream): a silent network partition;
  reset_after(k, marker=None)  on the next connection whose server stream carries `marker`
                               (or any connection, without a marker), pass k more server bytes
                               from the marker's first byte, then reset both sides (RST, not
                               FIN); one shot;
  one_byte(delay=0)            deliver the server's bytes one byte per write (TCP_NODELAY,
                               optional pause between bytes).

Usage:
    with TcpProxy("127.0.0.1", upstream_port) as proxy:
        ... connect to proxy.port ...
Every socket and thread is closed by close(); threads are daemons, so a failing test never
hangs the interpreter on them.
"""

import socket
import struct
import threading
import time

HOST = "127.0.0.1"


def _hard_close(sock):
    """Close with an RST: SO_LINGER on, timeout 0."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Link:
    """One client connection and its upstream."""

    def __init__(self, proxy, client):
        self.proxy = proxy
        self.client = client
        self.upstream = None
        self.closed = threading.Event()
        self.server_bytes = 0   # bytes passed server -> client on this link
        self.tail = b""         # the last bytes seen, to find a marker split across reads
        self.reset_at = None    # absolute server byte offset at which to reset
        self.done = False       # sockets closed
        self.ended = 0          # directions that saw EOF

    def start(self):
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        # A black hole accepts and then says nothing: the client's greeting deadline fires.
        self.proxy._wait_passing(self.closed)
        if self.closed.is_set():
            return
        try:
            self.upstream = socket.create_connection((self.proxy.upstream_host,
                                                      self.proxy.upstream_port), timeout=10)
            self.upstream.settimeout(None)
        except OSError:
            self.close(reset=True)
            return
        for s in (self.client, self.upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=self._pump, args=(self.client, self.upstream, False),
                         daemon=True).start()
        self._pump(self.upstream, self.client, True)

    def _pump(self, src, dst, from_server):
        try:
            while not self.closed.is_set():
                self.proxy._wait_passing(self.closed)
                if self.closed.is_set():
                    return
                src.settimeout(0.1)  # wake up to notice a black hole or close()
                try:
                    data = src.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    # Half-close: pass the FIN on, keep the other direction running.
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    with self.proxy._lock:
                        self.ended += 1
                        both = self.ended == 2
                    if both:
                        self.close()
                    return
                if from_server:
                    if not self._send_from_server(data):
                        return
                else:
                    self._send_while_passing(dst, data)
        except OSError:
            self.close(reset=True)

    def _send_while_passing(self, dst, data):
        """Send data, pausing (never dropping) while the proxy is black-holed."""
        self.proxy._wait_passing(self.closed)
        dst.sendall(data)

    def _send_from_server(self, data):
        """Forward server bytes under the current mode; False when the link was reset."""
        p = self.proxy
        with p._lock:
            if self.reset_at is None and p._reset_armed:
                window = self.tail + data
                if p._reset_marker is None:
                    at = self.server_bytes
                else:
                    i = window.find(p._reset_marker)
                    at = None if i < 0 else self.server_bytes - len(self.tail) + i
                if at is not None:
                    self.reset_at = at + p._reset_after
                    p._reset_armed = False
            self.tail = (self.tail + data)[-max(len(p._reset_marker or b""), 1):]
        if self.reset_at is not None and self.server_bytes + len(data) >= self.reset_at:
            keep = max(0, self.reset_at - self.server_bytes)
            if keep:
                self.client.sendall(data[:keep])
                self.server_bytes += keep
            with p._lock:
                p.resets += 1
            self.close(reset=True)
            return False
        if p._one_byte:
            delay = p._one_byte_delay
            for i in range(len(data)):
                self._send_while_passing(self.client, data[i:i + 1])
                self.server_bytes += 1
                if delay:
                    time.sleep(delay)
        else:
            self._send_while_passing(self.client, data)
            self.server_bytes += len(data)
        return True

    def close(self, reset=False):
        with self.proxy._lock:
            if self.done:
                return
            self.done = True
        self.closed.set()
        for s in (self.client, self.upstream):
            if s is None:
                continue
            if reset:
                _hard_close(s)
            else:
                try:
                    s.close()
                except OSError:
                    pass
        with self.proxy._lock:
            self.proxy._links.discard(self)



class TcpProxy:
    """Listens on 127.0.0.1:<free port> (attribute `port`) and forwards to upstream."""

    def __init__(self, upstream_host, upstream_port, port=0):
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self._lock = threading.Lock()
        self._passing = threading.Event()
        self._passing.set()
        self._one_byte = False
        self._one_byte_delay = 0.0
        self._reset_armed = False
        self._reset_marker = None
        self._reset_after = 0
        self._links = set()
        self.connections = 0  # accepted so far
        self.resets = 0       # links reset by reset_after
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, port))
        self._listener.listen(64)
        self.host = HOST
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # -- modes ----------------------------------------------------------------------------
    def forward(self):
        with self._lock:
            self._one_byte = False
        self._passing.set()

    def blackhole(self):
        self._passing.clear()

    def one_byte(self, delay=0.0):
        with self._lock:
            self._one_byte = True
            self._one_byte_delay = delay
        self._passing.set()

    def reset_after(self, k, marker=None):
        with self._lock:
            self._reset_after = int(k)
            self._reset_marker = marker.encode() if isinstance(marker, str) else marker
            self._reset_armed = True

    def reset_pending(self):
        """True while an armed reset_after has not fired yet."""
        with self._lock:
            return self._reset_armed

    def drop_all(self):
        """Reset every open connection now."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close(reset=True)

    def open_connections(self):
        with self._lock:
            return len(self._links)

    # -- internals ---------------------------------------------------------------------------
    def _wait_passing(self, closed):
        while not self._passing.is_set() and not closed.is_set() and not self._stopped.is_set():
            self._passing.wait(0.1)
        if self._stopped.is_set():
            closed.set()

    def _accept_loop(self):
        self._listener.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            link = _Link(self, client)
            with self._lock:
                self._links.add(link)
                self.connections += 1
            link.start()

    def close(self):
        self._stopped.set()
        try:
            self._listener.close()
        except OSError:
            pass
        self.drop_all()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
