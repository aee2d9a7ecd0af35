"""A local TLS test server on 127.0.0.1, shared by the unit and the integration tests.

Import it as ``from ansible_collections.rtvs.remote.tests.helpers import tls_server`` (the collection is importable
through .work/ac, as tests/unit/conftest.py and the integration tests set up), the way ansible collections share
test code between their suites.

- certificate_files(): a self-signed certificate and its key (PEM files) for a name and its SANs.
- context(): a server context, TLS 1.2 and newer, or ``legacy`` (TLS 1.0 up and weak suites, for posture tests).
- serving(): a server for the duration of a ``with`` block; it yields the port. Without a handler it only completes
  the handshake and closes (a bare TLS server, not HTTP); with an http.server handler class it answers HTTP.
"""
import contextlib
import http.server
import socket
import ssl
import threading
import warnings

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.rtvs.remote.plugins.module_utils.tls import issuing

ADDRESS = "127.0.0.1"


def certificate_files(folder, common_name, names):
    """(certificate path, key path) as strings: a new self-signed certificate for ``common_name`` and ``names``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issuing.build_certificate(key, common_name, list(names))
    cert_path, key_path = folder / "c.pem", folder / "k.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def context(cert_path, key_path, legacy=False):
    """A server context: TLS 1.2 and newer, or with ``legacy`` TLS 1.0 and 1.1 and every suite (SECLEVEL=0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 and 1.1 are deprecated, on purpose here
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_path, key_path)
        if legacy:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _handshakes(server, ctx):
    while True:
        try:
            conn = server.accept()[0]
        except OSError:  # the socket was closed: the test is over
            return
        try:
            ctx.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()


@contextlib.contextmanager
def serving(ctx, handler=None):
    """Yield the port of a server on 127.0.0.1 with ``ctx``; stopped when the block ends."""
    if handler is not None:
        server = http.server.ThreadingHTTPServer((ADDRESS, 0), handler)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()
        return
    server = socket.socket()
    server.bind((ADDRESS, 0))
    server.listen(16)
    threading.Thread(target=_handshakes, args=(server, ctx), daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        try:
            server.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the thread, which then ends
        except OSError:
            pass
        server.close()
