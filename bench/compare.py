"""Compare code trees (or settings) on one seeded account: shipped runs, interleaved, medians.

    python bench/compare.py OTHER_TREE [--scale 2] [--repeat 5] [--env NAME=VALUE ...] [--consumers] [--pin]

Seeds the benchmark's account (bench/run.py's, times `--scale`) once, then runs the handler of
this tree and of OTHER_TREE (a checkout of another commit, e.g. `git worktree add /tmp/old e6bf7ac`)
in turn, at 40 ms a call with AWS's quotas simulated, so a slow hour of a shared machine slows
both alike. `--env` adds runs of this tree with env vars set (e.g. MAX_WORKERS=32, CONSUMER_KINDS=none). Prints each
run and the medians of handler wall time, handler CPU, moto's CPU, peak RSS and the floor AWS's quotas
leave the run's calls (bench/expected.py). `--consumers` adds
bench/run.py's ECS services, Batch job definitions and EKS workloads (times `--scale`). `--pin` runs each
handler on one CPU of its own and the simulated AWS on the others, as a function of 1,769 MB has one vCPU:
the handler's CPU no longer depends on how the two share a small machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import workload  # noqa: E402
from expected import floor_s  # noqa: E402
from run import child_env  # noqa: E402

from devtools.aws.quotas import AWS_RATE_QUOTAS  # noqa: E402
from devtools.aws.server import LayeredMotoServer  # noqa: E402
from devtools.fake_kubernetes import FakeKubernetes  # noqa: E402

LATENCY_S = 0.04


def once(server: LayeredMotoServer, tree: Path, env: dict[str, str], latency: float,
         cpus: set[int] | None = None) -> dict[str, float]:
    """One dry run of a tree's handler in a fresh process (on `cpus` alone, if given); what it and the server measured."""
    server.layer.latency = latency
    server.layer.reset_counts()
    cpu = time.process_time()
    done = subprocess.run([sys.executable, str(tree / "bench" / "child.py")], env={**child_env(server, None), **env},
                          capture_output=True, text=True, timeout=600, check=True,
                          preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus))
    server.layer.latency = 0.0
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if measured["summary"]["errors"]:
        raise SystemExit(f"{tree}: the inventory has errors: {measured['summary']['errors'][:1]}")
    answered = {key: count - server.layer.throttled[key] for key, count in server.layer.calls.items()}
    return {"wall_s": measured["handler_s"], "cpu_s": measured["cpu_s"],
            "server_cpu_s": round(time.process_time() - cpu, 2), "rss_mb": measured["peak_rss_mb"],
            "floor_s": floor_s(answered)}


def pinned() -> set[int]:
    """Keep this process (the simulated AWS's threads, started after) off one CPU, and return that CPU for the handler."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        raise SystemExit("--pin needs two CPUs: one for the handler, the others for the simulated AWS")
    os.sched_setaffinity(0, set(available[1:]))
    return {available[0]}


@contextmanager
def seeded_account(scale: int, consumers: bool) -> Iterator[LayeredMotoServer]:
    """A running simulated AWS holding the benchmark's account (bench/run.py's, times `scale`, with its ECS,
    Batch and EKS consumers if asked), keeping AWS's quotas and answering repeated reads from memory."""
    counts = (100 * scale, 100 * scale, 200 * scale) if consumers else (0, 0, 0)
    size = workload.Size(4, 300 * scale, 6000 * scale, 400 * scale, LATENCY_S * 1000, 0.0,
                         ecs_services=counts[0], batch_jobs=counts[1], eks_workloads=counts[2])
    server = LayeredMotoServer()
    server.start()
    kubernetes = FakeKubernetes().__enter__()
    try:
        regions = workload.enabled_regions(server)
        specs = workload.synthetic_account(size, [name for name in workload.DATA_REGIONS if name in regions][:4])
        print(f"seeded in {workload.seed(server, kubernetes, specs):.1f} s", flush=True)
        server.layer.cache_reads, server.layer.rate_quotas = True, AWS_RATE_QUOTAS
        yield server
    finally:
        kubernetes.__exit__()
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/compare.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other tree's root (holds bench/child.py)")
    parser.add_argument("--scale", type=int, default=1, help="repositories, images and functions times this")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each tree (default 5)")
    parser.add_argument("--env", action="append", default=[],
                        help="NAME=VALUE: this tree is also run with these settings, in the same turn")
    parser.add_argument("--consumers", action="store_true", help="also ECS, Batch and EKS consumers")
    parser.add_argument("--pin", action="store_true", help="the handler on a CPU of its own, the simulated AWS on the others")
    args = parser.parse_args(argv)
    cpus = pinned() if args.pin else None
    trees = {"this": (ROOT, {}), "other": (args.other.resolve(), {})}
    if args.env:  # this tree with the settings too, in the same turn
        trees = {"this": (ROOT, {}), "this+env": (ROOT, dict(item.split("=", 1) for item in args.env)), **trees}
    with seeded_account(args.scale, args.consumers) as server:
        once(server, ROOT, {}, 0.0, cpus)  # moto builds each region's backends on first use
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.repeat):
            for name, (tree, env) in trees.items():
                runs[name].append(once(server, tree, env, LATENCY_S, cpus))
                print(name, runs[name][-1], flush=True)
    for name, measured in runs.items():
        medians = {key: round(statistics.median(run[key] for run in measured), 2) for key in measured[0]}
        print(f"{name} ({trees[name][0]}): medians {medians}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
