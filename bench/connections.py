"""How many HTTPS connections a run would open on AWS: each client's most calls in flight at once.

    python bench/connections.py [--scale 1] [--consumers] [--env NAME=VALUE ...]

The simulated AWS closes every connection, so it cannot count them; AWS keeps them open, and a client's
connection pool then holds as many as the client ever had calls in flight. Seeds the benchmark's account
(bench/compare.py's), runs the handler once in this process with a counter on each client the factory
builds, and prints the clients and connections by service. bench/tls.py gives what each costs.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from compare import LATENCY_S, seeded_account  # noqa: E402
from run import child_env  # noqa: E402


class InFlight:
    """Calls in flight per (service, region), and the most there ever were."""

    def __init__(self) -> None:
        self.now: Counter[tuple[str, str]] = Counter()
        self.most: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def watch(self, client: Any, service: str, region: str) -> None:
        """Count the client's attempts: from before-send until botocore asks whether to retry."""
        key = (service, region)

        def sent(**_: Any) -> None:
            with self._lock:
                self.now[key] += 1
                self.most[key] = max(self.most[key], self.now[key])

        def answered(**_: Any) -> None:
            with self._lock:
                self.now[key] -= 1

        client.meta.events.register("before-send", sent)
        client.meta.events.register("needs-retry", answered)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/connections.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="repositories, images and functions times this")
    parser.add_argument("--consumers", action="store_true", help="also ECS, Batch and EKS consumers")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE set for the run")
    args = parser.parse_args(argv)
    with seeded_account(args.scale, args.consumers) as server:
        server.layer.latency = LATENCY_S
        os.environ.clear()
        os.environ.update(child_env(server, None), **dict(item.split("=", 1) for item in args.env))
        from ecr_usage_report.aws.clients import ClientFactory

        import lambda_function

        counts, built = InFlight(), ClientFactory.get

        def get(factory: ClientFactory, service: str, region: str) -> Any:
            new = (service, region) not in factory._clients
            client = built(factory, service, region)
            if new:
                counts.watch(client, service, region)
            return client

        ClientFactory.get = get  # type: ignore[method-assign]
        with contextlib.redirect_stdout(io.StringIO()):
            lambda_function.lambda_handler({"dry_run": True}, None)
    by_service: Counter[str] = Counter()
    clients: Counter[str] = Counter()
    for (service, _), most in counts.most.items():
        by_service[service] += most
        clients[service] += 1
    print(f"{sum(clients.values())} clients, {sum(by_service.values())} connections; by service "
          + ", ".join(f"{service} {clients[service]}/{by_service[service]}" for service in sorted(by_service)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
