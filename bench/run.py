"""Benchmark: the whole report on a large simulated account with real API latency.

    python bench/run.py [--latency-ms 40] [--regions-with-data 4] [--repositories 300]
                        [--images 6000] [--functions 400] [--throttle 0.10]
                        [--json bench/results/latest.json] [--tiny] [--no-cache] [--repeat 3]
                        [--no-aws-quotas] [--max-workers N] [--versions 0] [--shipped-only]
                        [--ecs-services 100] [--batch-jobs 100] [--eks-workloads 200]

Seeds moto (behind devtools/aws/) in this process with latency off, then runs the handler
in dry-run mode in a fresh subprocess (bench/child.py): shipped and sequential (MAX_WORKERS=1)
at the chosen latency, shipped at 0 ms, shipped with a fraction of calls throttled (the two
unthrottled shipped cases --repeat times, keeping the median, as they vary run to run). Prints a
table and PASS/FAIL per check; exits 1 only when a run's inventory is incomplete or has errors.

The simulated AWS answers a repeated read from memory (AwsLayer.cache_reads): on AWS the
service's work runs on AWS's machines, but moto's would run on this machine's cores, beside the
handler being measured. Every call still pays the latency, may be throttled and is counted.
--no-cache lets moto compute every answer. The simulated AWS keeps AWS's request-rate quotas per
region (devtools.aws.quotas.AWS_RATE_QUOTAS, as AwsLayer.rate_quotas), which moto does not;
--no-aws-quotas drops them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.aws.quotas import AWS_RATE_QUOTAS  # noqa: E402
from devtools.aws.server import LayeredMotoServer  # noqa: E402
from devtools.fake_kubernetes import FakeKubernetes  # noqa: E402
from expected import CHECKED_OPERATIONS, expected_calls, floor_s, inventory  # noqa: E402
from workload import DATA_REGIONS, Size, enabled_regions, seed, synthetic_account  # noqa: E402

CHILD = ROOT / "bench" / "child.py"
DEFAULT_JSON = ROOT / "bench" / "results" / "latest.json"
CHILD_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
             "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "EMAIL": "bench@example.com"}
CLEARED_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "SLACK_DDPS", "REGIONS", "MAX_WORKERS")
SPEEDUP_TARGET = 15.0
WALL_TARGET_S = 10.0
LATENCY_HIDDEN_TARGET = 1.25
RSS_TARGET_MB = 128.0


@dataclass
class Run:
    """One handler run and what the server saw of it."""

    name: str
    latency_ms: float
    throttle: float
    max_workers: int | None  # None: as shipped
    handler_s: float = 0.0
    total_s: float = 0.0
    process_s: float = 0.0
    peak_rss_mb: float = 0.0  # VmHWM of the child (see bench/child.py)
    ru_maxrss_mb: float = 0.0  # inherits the harness's peak over fork+exec: not used for the target
    child_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    calls: dict[str, int] | None = None  # by operation, throttled attempts left out
    floor_s: float = 0.0  # the least wall time AWS's quotas leave these calls (expected.floor_s)
    throttled: int = 0
    summary: dict[str, Any] | None = None
    failure: str = ""
    handler_s_runs: list[float] = field(default_factory=list)  # every repeat's wall time; this run is the median



def incomplete(run: Run, wanted: dict[str, int]) -> str:
    """Why the run's inventory is not complete, or ''."""
    if run.failure:
        return run.failure
    summary = run.summary or {}
    wrong = [f"{key} {summary.get(key)} != {value}" for key, value in wanted.items() if summary.get(key) != value]
    if summary.get("errors"):
        wrong.append(f"{len(summary['errors'])} errors, first: {summary['errors'][0]}")
    return "; ".join(wrong)


# ---- running the handler -------------------------------------------------------------------


def child_env(server: LayeredMotoServer, max_workers: int | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: dummy credentials, the simulated endpoint, MAX_WORKERS if set, and `extra`."""
    env = {key: value for key, value in os.environ.items() if key not in CLEARED_ENV}
    env.update(CHILD_ENV, AWS_ENDPOINT_URL=server.endpoint_url, **(extra or {}))
    if max_workers is not None:
        env["MAX_WORKERS"] = str(max_workers)
    return env


def execute(server: LayeredMotoServer, run: Run, timeout_s: float = 600, kubernetes: FakeKubernetes | None = None,
            argv: list[str] | tuple[str, ...] = (), env: dict[str, str] | None = None) -> Run:
    """Run the handler once in a fresh process (`argv`: its event) and record what the child and the server saw."""
    layer = server.layer
    layer.latency, layer.throttle_fraction = run.latency_ms / 1000, run.throttle
    if kubernetes is not None:
        kubernetes.latency = run.latency_ms / 1000  # the Kubernetes API answers as slowly as AWS
    layer.reset_counts()
    cpu, began = time.process_time(), time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(CHILD), *argv], env=child_env(server, run.max_workers, env),
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        done = None
    run.process_s = round(time.perf_counter() - began, 3)
    run.server_cpu_s = round(time.process_time() - cpu, 2)
    layer.latency, layer.throttle_fraction = 0.0, 0.0
    if kubernetes is not None:
        kubernetes.latency = 0.0
    answered = {key: count - layer.throttled[key] for key, count in layer.calls.items()}
    calls: Counter[str] = Counter()
    for (operation, _), count in answered.items():
        calls[operation] += count
    run.calls, run.throttled = dict(sorted(calls.items())), sum(layer.throttled.values())
    run.floor_s = floor_s(answered)  # a dry run posts no Slack message
    if done is None or done.returncode != 0:
        tail = "timed out" if done is None else "".join(done.stderr.strip().splitlines()[-1:])
        run.failure = f"child failed: {tail}"
        return run
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    run.handler_s, run.total_s = measured["handler_s"], measured["total_s"]
    run.peak_rss_mb, run.ru_maxrss_mb = measured["peak_rss_mb"], measured["ru_maxrss_mb"]
    run.child_cpu_s = measured["cpu_s"]
    run.summary = measured["summary"]
    return run


def measure(server: LayeredMotoServer, run: Run, repeat: int, kubernetes: FakeKubernetes | None = None) -> Run:
    """Run it `repeat` times in fresh processes; keep the median by handler wall time (all times recorded)."""
    return median_run([execute(server, replace(run), kubernetes=kubernetes) for _ in range(max(1, repeat))])


def median_run(done: list[Run]) -> Run:
    """The median of repeated runs by handler wall time (the first failure, if any), with every time recorded."""
    failed = [one for one in done if one.failure]
    kept = failed[0] if failed else sorted(done, key=lambda one: one.handler_s)[len(done) // 2]
    kept.handler_s_runs = [one.handler_s for one in done]
    return kept


def repeats(run: Run, repeat: int) -> int:
    """The shipped runs without throttling vary run to run and are cheap: repeat them. The rest run once."""
    return repeat if run.max_workers is None and run.throttle == 0 else 1


def plan(size: Size, workers: int | None = None, shipped_only: bool = False) -> list[Run]:
    """The measured runs, in order; `workers` overrides MAX_WORKERS of the shipped runs."""
    runs = [Run(f"shipped@{size.latency_ms:g}ms", size.latency_ms, 0.0, workers)]
    if shipped_only:
        return runs
    runs += [
        Run(f"sequential@{size.latency_ms:g}ms", size.latency_ms, 0.0, 1),
        Run("shipped@0ms", 0.0, 0.0, workers),
    ]
    if size.throttle > 0:
        runs.append(Run(f"shipped@{size.latency_ms:g}ms+{size.throttle:.0%}throttled", size.latency_ms, size.throttle, workers))
    return runs


# ---- verdicts and the table ----------------------------------------------------------------


def check(name: str, passed: bool, detail: str, kind: str) -> dict[str, Any]:
    """One PASS/FAIL line."""
    return {"name": name, "passed": passed, "detail": detail, "kind": kind}


def verdicts(runs: list[Run], expected: dict[str, int], wanted: dict[str, int]) -> list[dict[str, Any]]:
    """Inventory, call-count and target checks of all runs."""
    results = [check(f"complete inventory: {run.name}", not incomplete(run, wanted),
                     incomplete(run, wanted) or "all counts match, no errors", "inventory") for run in runs]
    for operation in CHECKED_OPERATIONS:
        seen = {run.name: (run.calls or {}).get(operation, 0) for run in runs}
        passed = all(count == expected[operation] for count in seen.values())
        results.append(check(f"calls {operation} == {expected[operation]}", passed,
                             ", ".join(f"{name} {count}" for name, count in seen.items()), "calls"))
    if len(runs) < 3:  # --shipped-only: no baseline to hold the targets against
        return results
    shipped, sequential, unloaded = runs[0], runs[1], runs[2]
    speedup = sequential.handler_s / shipped.handler_s if shipped.handler_s else 0.0
    hidden = shipped.handler_s / unloaded.handler_s if unloaded.handler_s else math.inf
    results += [
        check(f"sequential/shipped >= {SPEEDUP_TARGET:g}x", speedup >= SPEEDUP_TARGET, f"{speedup:.1f}x", "target"),
        check(f"{shipped.name} < {WALL_TARGET_S:g} s", 0 < shipped.handler_s < WALL_TARGET_S,
              f"{shipped.handler_s:.2f} s", "target"),
        check(f"{shipped.name} / shipped@0ms <= {LATENCY_HIDDEN_TARGET:g}", hidden <= LATENCY_HIDDEN_TARGET,
              f"{hidden:.2f}", "target"),
        check(f"peak RSS <= {RSS_TARGET_MB:g} MB", 0 < shipped.peak_rss_mb <= RSS_TARGET_MB,
              f"{shipped.name} {shipped.peak_rss_mb:.1f} MB", "target"),
    ]
    return results


def spread(times: list[float]) -> str:
    """'n: min-max' of repeated wall times, or '1 run'."""
    return f"{len(times)}: {min(times):.2f}-{max(times):.2f}" if len(times) > 1 else "1 run"


def table(runs: list[Run], expected: dict[str, int]) -> str:
    """Runs as columns: timings, memory, then calls by operation (throttled attempts left out)."""
    def row(label: str, values: list[Any]) -> str:
        return f"{label:<26}" + "".join(f"{value!s:>26}" for value in values)

    def found(run: Run, key: str) -> Any:
        return (run.summary or {}).get(key, "-")

    operations = sorted(set(expected) | {op for run in runs for op in run.calls or {}})
    lines = [
        row("", [run.name for run in runs] + ["expected"]),
        row("handler wall s", [f"{run.handler_s:.2f}" for run in runs]),
        row("  of runs (min-max)", [spread(run.handler_s_runs) for run in runs]),
        row("floor s (AWS's quotas)", [f"{run.floor_s:.2f}" for run in runs]),
        row("  wall / floor", [f"{run.handler_s / run.floor_s:.2f}x" if run.floor_s else "-" for run in runs]),
        row("total s (with imports)", [f"{run.total_s:.2f}" for run in runs]),
        row("peak RSS MB", [f"{run.peak_rss_mb:.1f}" for run in runs]),
        row("handler CPU s", [f"{run.child_cpu_s:.2f}" for run in runs]),
        row("moto server CPU s", [f"{run.server_cpu_s:.2f}" for run in runs]),
        row("throttled", [run.throttled for run in runs]),
    ]
    lines += [row(f"calls {op}", [(run.calls or {}).get(op, 0) for run in runs] + [expected.get(op, "")])
              for op in operations]
    lines += [row(f"found {key}", [found(run, key) for run in runs]) for key in ("regions", "repositories", "images", "functions")]
    lines.append(row("errors", [len(found(run, "errors")) if run.summary else run.failure[:24] for run in runs]))
    return "\n".join(lines)


# ---- command line --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=40.0, help="server-side latency per call (default 40)")
    parser.add_argument("--regions-with-data", type=int, default=4, help="regions holding repositories/functions (default 4)")
    parser.add_argument("--repositories", type=int, default=300, help="repositories in all (default 300)")
    parser.add_argument("--images", type=int, default=6000, help="images in all (default 6000)")
    parser.add_argument("--functions", type=int, default=400, help="functions in all, half image-based (default 400)")
    parser.add_argument("--versions", type=int, default=0,
                        help="published versions of every function, an alias on each image function's newest "
                             "(default 0)")
    parser.add_argument("--throttle", type=float, default=0.10,
                        help="fraction of calls throttled in the extra throttled run; 0 skips it (default 0.10)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON.relative_to(ROOT)})")
    parser.add_argument("--ecs-services", type=int, default=100,
                        help="ECS services, each on its own task definition family, every 4th with a task running; "
                             "2 clusters, an EventBridge rule and a Scheduler schedule per data region (default 100)")
    parser.add_argument("--batch-jobs", type=int, default=100, help="AWS Batch job definitions (default 100)")
    parser.add_argument("--eks-workloads", type=int, default=200,
                        help="Kubernetes workloads on one EKS cluster per data region: Deployments of 2 pods, "
                             "every 4th a CronJob (default 200)")
    parser.add_argument("--tiny", action="store_true",
                        help="CI size: 2 regions with data, 12 repositories, 150 images, 20 functions "
                             "with 2 versions each, 12 ECS services, 6 Batch job definitions, 12 EKS workloads, 5 ms")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each unthrottled shipped case; the median is kept (default 3, 1 with --tiny)")
    parser.add_argument("--no-cache", action="store_true",
                        help="moto computes every answer; its CPU then competes with the handler's (default: "
                             "repeated reads answered from memory)")
    parser.add_argument("--aws-quotas", action=argparse.BooleanOptionalAction, default=True,
                        help="the simulated AWS throttles past AWS's per-region request-rate quotas, as AWS does "
                             "(Lambda ListFunctions+ListAliases 15/s, GetFunction 100/s; DescribeLogStreams 25/s; "
                             "default: on)")
    parser.add_argument("--shipped-only", action="store_true",
                        help="only the shipped run at the chosen latency (for measuring larger accounts)")
    parser.add_argument("--max-workers", type=int, default=None,
                        help="MAX_WORKERS of the shipped runs, to compare widths (default: the product's default)")
    return parser.parse_args(argv)


def size_of(args: argparse.Namespace) -> Size:
    """The account size asked for (--tiny overrides the size flags)."""
    if args.repeat is not None and args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    if args.tiny:
        return Size(2, 12, 150, 20, 5.0, args.throttle, not args.no_cache, args.aws_quotas, versions=2,
                    ecs_services=12, batch_jobs=6, eks_workloads=12)
    if not 1 <= args.regions_with_data <= len(DATA_REGIONS):
        raise SystemExit(f"--regions-with-data must be 1 to {len(DATA_REGIONS)}")
    if args.images and args.repositories < 1:
        raise SystemExit("--images needs at least one repository (--repositories)")
    if min(args.versions, args.ecs_services, args.batch_jobs, args.eks_workloads) < 0:
        raise SystemExit("--versions, --ecs-services, --batch-jobs and --eks-workloads must be at least 0")
    if (args.ecs_services or args.batch_jobs or args.eks_workloads) and args.repositories < 1:
        raise SystemExit("consumers need at least one repository (--repositories)")
    return Size(args.regions_with_data, args.repositories, args.images, args.functions, args.latency_ms, args.throttle,
                not args.no_cache, args.aws_quotas, args.versions, args.ecs_services, args.batch_jobs,
                args.eks_workloads)


def main(argv: list[str] | None = None) -> int:
    """Seed, run, print, write the JSON; 1 when a run's inventory is incomplete."""
    args = parse_args(argv)
    size = size_of(args)
    server = LayeredMotoServer()
    server.start()
    kubernetes = FakeKubernetes().__enter__()  # the EKS clusters' API
    try:
        regions = enabled_regions(server)
        specs = synthetic_account(size, [name for name in DATA_REGIONS if name in regions][:size.regions_with_data])
        seeding_s = seed(server, kubernetes, specs)
        print(f"Seeded {inventory(specs, regions)} in {seeding_s:.1f} s", flush=True)
        server.layer.cache_reads = size.cache_reads
        if size.aws_quotas:
            server.layer.rate_quotas = AWS_RATE_QUOTAS
        execute(server, Run("warm-up", 0.0, 0.0, None))  # moto builds each region's backends on first use
        runs = []
        for planned in plan(size, args.max_workers, args.shipped_only):
            run = measure(server, planned, repeats(planned, args.repeat or (1 if args.tiny else 3)), kubernetes)
            runs.append(run)
            print(f"  {run.name}: {run.handler_s:.2f} s {run.failure}", flush=True)
    finally:
        kubernetes.__exit__()
        server.stop()
    expected, wanted = expected_calls(specs, regions), inventory(specs, regions)
    results = verdicts(runs, expected, wanted)
    ratios = {}
    if len(runs) >= 3:
        shipped, sequential, unloaded = runs[:3]
        ratios = {"sequential/shipped": round(sequential.handler_s / shipped.handler_s, 2) if shipped.handler_s else None,
                  "shipped/shipped@0ms": round(shipped.handler_s / unloaded.handler_s, 2) if unloaded.handler_s else None}
    print("\n" + table(runs, expected) + "\n")
    print("  ".join(f"{name}: {value}x" for name, value in ratios.items()))
    for result in results:
        print(f"{'PASS' if result['passed'] else 'FAIL'}  {result['name']}  ({result['detail']})")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "size": asdict(size), "regions_scanned": len(regions), "seeding_s": round(seeding_s, 1),
        "inventory": wanted, "expected_calls": expected, "runs": [asdict(run) for run in runs],
        "ratios": ratios, "checks": results,
    }, indent=2))
    print(f"Results written to {args.json}")
    return 1 if any(r["kind"] == "inventory" and not r["passed"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
