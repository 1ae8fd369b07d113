"""CPU and memory of building every consumer kind's client in every region, one thread, no call made.

    python bench/clients.py [TREE] [--repeat 3]

What a run pays before it learns that a region holds nothing of a kind: the client factory of TREE
(default this one) builds and releases a client of each consumer kind's service in each of the
commercial account's 17 regions, after a first client of each has loaded its model. Prints the CPU
seconds of each pass and the process's peak RSS.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REGIONS = ("ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
           "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
           "us-east-1", "us-east-2", "us-west-1", "us-west-2")
SERVICES = ("ecs", "events", "scheduler", "batch", "apprunner", "eks", "codebuild", "sagemaker")
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": "/nonexistent",
       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/clients.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--repeat", type=int, default=3, help="passes over every service and region (default 3)")
    args = parser.parse_args(argv)
    os.environ.update(ENV)
    sys.path.insert(0, str(args.tree.resolve()))
    from ecr_usage_report.aws.clients import ClientFactory  # the tree's own

    factory = ClientFactory(workers=48)
    for service in SERVICES:  # models loaded: what follows is each further client's cost
        factory.get(service, REGIONS[0])
    passes = []
    for _ in range(args.repeat):
        began = time.process_time()
        for service in SERVICES:
            for region in REGIONS:
                factory.release(service, region)
                factory.get(service, region)
        passes.append(time.process_time() - began)
    peak = next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("VmHWM"))
    clients = len(SERVICES) * len(REGIONS)
    print(f"{args.tree}: {clients} clients a pass, CPU s {[round(s, 3) for s in passes]}, "
          f"median {sorted(passes)[len(passes) // 2] / clients * 1000:.2f} ms a client, peak RSS {int(peak) / 1024:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
