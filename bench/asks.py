"""CPU of the asks that find no consumer in any region: through botocore, and the least any client pays.

    python bench/asks.py [--repeat 5]

Against an empty simulated account (moto, in this process; the CPU counted is the asking thread's), one
thread asks each consumer kind's listing calls in each of the commercial account's 17 regions that offer
its service, through the report's client factory, as a run does. It times the services' models and
clients, each client's first call, later calls, and the same requests signed again with botocore's SigV4
and sent over a new urllib3 pool each: the least any client pays for an ask (medians of the passes).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clients import ENV, REGIONS  # noqa: E402  (bench/clients.py: dummy credentials, the account's 17 regions)

# What each consumer kind asks a region that holds nothing of it (inventory/<kind>.py).
ASKS = (("ecs", "list_clusters"), ("events", "list_event_buses"), ("events", "list_rules"),
        ("scheduler", "list_schedules"), ("batch", "describe_job_definitions"), ("apprunner", "list_services"),
        ("eks", "list_clusters"), ("codebuild", "list_projects"), ("sagemaker", "list_models"))
# Built first, as a run without the kinds builds them: a process's first client pays botocore's first-use costs.
ALWAYS_BUILT = ("ecr", "lambda", "logs")
SIGNATURE_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token")
RECORDER = "bench-asks-recorder"


def botocore_pass(clients: list[tuple[Any, str]]) -> float:
    """CPU seconds of this thread to make every ask through its client."""
    began = time.thread_time()
    for client, operation in clients:
        getattr(client, operation)()
    return time.thread_time() - began


def bare_pass(requests: list[tuple[str, str, Any]], credentials: Any) -> float:
    """CPU seconds of this thread to sign and send every recorded request on a new urllib3 pool each."""
    import urllib3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    began = time.thread_time()
    for service, region, sent in requests:
        headers = {key: value.decode() if isinstance(value, bytes) else value for key, value in sent.headers.items()
                   if key.lower() not in SIGNATURE_HEADERS}
        request = AWSRequest(sent.method, sent.url, data=sent.body, headers=headers)
        SigV4Auth(credentials, service, region).add_auth(request)
        with urllib3.PoolManager() as pool:
            answer = pool.request(request.method, request.url, body=request.body, headers=dict(request.headers.items()))
        if answer.status != 200:
            raise SystemExit(f"{service} {region}: HTTP {answer.status}")
    return time.thread_time() - began


def recorder(sent: list[tuple[str, str, Any]], client: Any):
    """A before-send handler that keeps each request the client sends, with its service and region."""
    def record(request: Any, **_: Any) -> None:
        sent.append((client.meta.service_model.signing_name, client.meta.region_name, request))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/asks.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes each way (default 5)")
    args = parser.parse_args(argv)
    os.environ.update(ENV)
    from devtools.aws.server import LayeredMotoServer
    from ecr_usage_report.aws.clients import ClientFactory

    server = LayeredMotoServer()
    server.start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = server.endpoint_url
        factory = ClientFactory(workers=48)
        for service in ALWAYS_BUILT:
            factory.get(service, REGIONS[0])
        began = time.thread_time()
        for service in dict(ASKS):  # each service's model, and its first client
            factory.get(service, REGIONS[0])
        first_clients = time.thread_time() - began
        clients: list[tuple[Any, str]] = []
        began = time.thread_time()
        for service, operation in ASKS:
            clients += [(factory.get(service, region), operation)
                        for region in sorted(factory.regions_offering(service) & set(REGIONS))]
        other_clients = time.thread_time() - began
        sent: list[tuple[str, str, Any]] = []
        for client, _ in clients:
            client.meta.events.register_first("before-send", recorder(sent, client), unique_id=RECORDER)
        first_asks = botocore_pass(clients)  # each client's first call, as in a run; each request recorded
        for client, _ in clients:
            client.meta.events.unregister("before-send", unique_id=RECORDER)
        credentials = factory.session.get_credentials()
        later = [botocore_pass(clients) for _ in range(args.repeat)]
        bare = [bare_pass(sent, credentials) for _ in range(args.repeat)]
    finally:
        server.stop()
    services, asks = len(dict(ASKS)), len(clients)
    print(f"models and first clients of {services} services: {first_clients:.3f} s; the other "
          f"{len({id(client) for client, _ in clients}) - services} clients: {other_clients:.3f} s")
    print(f"{asks} asks, each a client's first call: {first_asks:.3f} s, {first_asks / asks * 1000:.2f} ms an ask")
    for name, passes in (("later calls through botocore", later), ("signed urllib3, a new pool each", bare)):
        median = statistics.median(passes)
        print(f"{asks} asks, {name}: CPU s {[round(s, 3) for s in passes]}, "
              f"median {median:.3f} s, {median / asks * 1000:.2f} ms an ask")
    return 0


if __name__ == "__main__":
    sys.exit(main())
