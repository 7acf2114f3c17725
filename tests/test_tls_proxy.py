"""The tests' TLS proxy (``tests/support/tls_proxy.py``) closes what it relays when stopped.

Stopped while it still relays (as in ``test_i14_83``: a drip that never ends), it must
close both sides of every connection. Left open, they are closed only when the garbage
collector finds them, warning "unclosed transport" in whichever later test that is
(``filterwarnings = error`` fails that test: seen once under load on Python 3.10).
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from tests.support.tls_proxy import TlsProxy, make_certificates


def test_a_proxy_stopped_mid_relay_closes_both_sides(tmp_path: Path) -> None:
    certificates = make_certificates(tmp_path)
    context = ssl.create_default_context(cafile=str(certificates.ca))
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        upstream.settimeout(5)
        with TlsProxy(upstream.getsockname()[1], certificates) as proxy:
            raw = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
            client = context.wrap_socket(raw, server_hostname="localhost")
            client.sendall(b"ping")
            relayed, _ = upstream.accept()
            assert relayed.recv(4) == b"ping"
            relayed.sendall(b"pong")
            assert client.recv(4) == b"pong"  # the relay runs both ways; stopped now
        with relayed, client:
            relayed.settimeout(5)
            assert relayed.recv(1) == b""  # the proxy closed its side upstream
            client.settimeout(5)
            assert client.recv(1) == b""  # and the client's (a timeout would raise)
