"""CPU of a client's first call over HTTPS, as on AWS, against the same call over plain HTTP.

    python bench/tls.py [TREE] [--clients 48] [--repeat 3]

The simulated AWS speaks HTTP, so the benchmark's figures leave out what each new connection to AWS
costs: a TLS handshake, and (botocore's way) its CA bundle, certifi's 100+ certificates, read into the
connection's SSL context. A report opens at least one connection per client, and builds a client per
service per enabled region.

Serves one canned ECS answer on 127.0.0.1 over HTTP and over HTTPS (devtools/tls.py: a certificate of a
CA made here, appended to certifi's bundle and named by AWS_CA_BUNDLE, so a bundle read costs what
botocore's costs), builds `--clients` clients with TREE's client factory (default this one) against each,
and prints the CPU of their first calls (one thread; the server's share of the handshake included).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import certifi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clients import REGIONS  # noqa: E402  (bench/clients.py: the account's 17 regions)
from devtools.tls import CannedEndpoint, authority, server_files  # noqa: E402


def first_calls(factories: type, endpoint: str, clients: int) -> float:
    """CPU seconds of `clients` new clients' first calls (their builds left out)."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    built = []
    for index in range(clients):
        if index % len(REGIONS) == 0:
            factory = factories(workers=8)
        built.append(factory.get("ecs", REGIONS[index % len(REGIONS)]))
    began = time.process_time()
    for client in built:
        client.list_clusters()
    return time.process_time() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/tls.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", type=Path, default=ROOT)
    parser.add_argument("--clients", type=int, default=48, help="new clients, each making one call (default 48)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over both endpoints (default 3)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.tree.resolve()))
    for name in [name for name in sys.modules if name.startswith("ecr_usage_report")]:
        del sys.modules[name]
    from ecr_usage_report.aws.clients import ClientFactory  # the tree's own

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_CONFIG_FILE="/nonexistent",
                      AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    ca = authority()
    with tempfile.TemporaryDirectory() as folder:
        bundle = Path(folder) / "bundle.pem"
        bundle.write_bytes(Path(certifi.where()).read_bytes() + ca.pem)
        os.environ["AWS_CA_BUNDLE"] = str(bundle)
        passes: dict[str, list[float]] = {"http": [], "https": []}
        with CannedEndpoint() as plain, CannedEndpoint(server_files(ca, Path(folder))) as secure:
            for _ in range(args.repeat):
                passes["http"].append(first_calls(ClientFactory, plain.url(), args.clients))
                passes["https"].append(first_calls(ClientFactory, secure.url(), args.clients))
    medians = {name: sorted(values)[len(values) // 2] / args.clients * 1000 for name, values in passes.items()}
    print(f"{args.tree}: a new client's first call, CPU ms (median of {args.repeat} passes of {args.clients} "
          f"clients): http {medians['http']:.2f}, https {medians['https']:.2f}, "
          f"difference {medians['https'] - medians['http']:.2f} (a bundle of "
          f"{bundle_size(bundle_text=Path(certifi.where()).read_text()) + 1} certificates)")
    return 0


def bundle_size(bundle_text: str) -> int:
    """Certificates in a PEM bundle."""
    return bundle_text.count("BEGIN CERTIFICATE")


if __name__ == "__main__":
    sys.exit(main())
