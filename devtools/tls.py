"""A local HTTPS endpoint for tests and benchmarks: a CA made on the spot, a certificate it signs, and a
server that answers every POST with one canned AWS JSON body, keeping connections open as AWS does."""
from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

EMPTY_CLUSTER_LIST = b'{"clusterArns": []}'  # ECS ListClusters' answer for a region without clusters


@dataclass(frozen=True)
class Authority:
    """A certificate authority: its certificate (PEM) and key."""

    pem: bytes
    key: ec.EllipticCurvePrivateKey
    name: x509.Name


def authority(common_name: str = "ecr-usage-report test CA") -> Authority:
    """A new CA, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    return Authority(certificate.public_bytes(serialization.Encoding.PEM), key, name)


def server_files(issuer: Authority, folder: Path, address: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate for `address` signed by `issuer`, and its key, written to `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
                   .issuer_name(issuer.name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                                  critical=False)
                   .sign(issuer.key, hashes.SHA256()))
    cert, private = folder / f"{address}-{certificate.serial_number}.pem", folder / f"{address}-{certificate.serial_number}.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, private


class CannedAnswer(BaseHTTPRequestHandler):
    """Answers every POST with the server's body, noting the request's target (a proxy's is a whole URL);
    HTTP/1.1, so a client's connection stays open."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.targets.append(self.path)  # type: ignore[attr-defined]
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # quiet
        pass


class CannedEndpoint:
    """A server on 127.0.0.1 answering `body` over HTTPS with the given certificate (HTTP without one); as an
    HTTP proxy, it answers for the endpoint. `targets` holds what each request asked for."""

    def __init__(self, cert: tuple[Path, Path] | None = None, body: bytes = EMPTY_CLUSTER_LIST) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), CannedAnswer)
        self._server.daemon_threads = True
        self._server.body = body  # type: ignore[attr-defined]
        self.targets: list[str] = []
        self._server.targets = self.targets  # type: ignore[attr-defined]
        self.scheme = "http"
        if cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*cert)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"

    def url(self, host: str = "127.0.0.1") -> str:
        """The endpoint's URL, naming the server by `host`."""
        return f"{self.scheme}://{host}:{self._server.server_port}"

    def __enter__(self) -> CannedEndpoint:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
