"""Benchmark: one report of a simulated organization (issue 30), in one invocation and by the scale-out's steps.

    python bench/organization.py [--accounts 20] [--latency-ms 40] [--repeat 1]

The 1x account of bench/run.py (300 repositories, 6,000 images, 400 functions, 100 ECS services)
is spread over `--accounts` member accounts, two data regions each, every account with the 17
enabled regions of a commercial account. The management account runs the report. It measures,
each in a fresh process at the given latency with AWS's request-rate quotas kept per account:
the whole report in one invocation (ACCOUNTS=organization), then the scale-out's steps one by
one (the accounts step, each account's step, the report step), as Step Functions would invoke
them. Results go to bench/results/organization.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from bench.run import Run, execute  # noqa: E402
from bench.workload import DATA_REGIONS, SEED_WORKERS, Size, split, synthetic_account  # noqa: E402
from devtools.aws.quotas import AWS_RATE_QUOTAS  # noqa: E402
from devtools.aws.server import LayeredMotoServer  # noqa: E402
from devtools.fake_kubernetes import FakeKubernetes  # noqa: E402
from devtools.simulated_account import RegionSpec, Seeder  # noqa: E402
from devtools.simulated_organization import add_reader_role, create_accounts, credentials_of  # noqa: E402

BUCKET = "org-reports"
WHOLE = Size(regions_with_data=2, repositories=300, images=6000, functions=400, latency_ms=40, throttle=0.0,
             ecs_services=100, batch_jobs=100)


def member_specs(index: int, accounts: int) -> list[RegionSpec]:
    """The index-th account's share of the whole: its names carry its index, as the layer keeps some
    state by region and name."""
    share = replace(WHOLE, repositories=WHOLE.repositories // accounts, images=WHOLE.images // accounts,
                    functions=WHOLE.functions // accounts, ecs_services=WHOLE.ecs_services // accounts,
                    batch_jobs=WHOLE.batch_jobs // accounts)
    regions = list(DATA_REGIONS[index % 4: index % 4 + 2])
    specs = synthetic_account(share, regions)
    prefix = f"a{index:02d}"
    for spec in specs:
        spec.repositories = {f"{prefix}/{name}": images for name, images in spec.repositories.items()}
        spec.functions = [replace(f, name=f"{prefix}-{f.name}",
                                  image=(f"{prefix}/{f.image[0]}", f.image[1]) if f.image else None)
                          for f in spec.functions]
        spec.task_definitions = {family: [[(f"{prefix}/{repo}", tag) for repo, tag in images] for images in revisions]
                                 for family, revisions in spec.task_definitions.items()}
        spec.batch_jobs = [replace(job, image=(f"{prefix}/{job.image[0]}", job.image[1])) for job in spec.batch_jobs]
    return specs


def seed(server: LayeredMotoServer, kubernetes: FakeKubernetes, accounts: int) -> tuple[dict[str, str], float]:
    """The organization, its members' reader roles and their inventories; their ids by name, and seconds."""
    began = time.perf_counter()
    ids = create_accounts(server.endpoint_url, [f"member-{index:02d}" for index in range(accounts)])
    for index, (name, account) in enumerate(sorted(ids.items())):
        add_reader_role(server.endpoint_url, account)
        specs = member_specs(index, accounts)
        seeder = Seeder(server.endpoint_url, server.layer, workers=SEED_WORKERS, kubernetes=kubernetes,
                        credentials=credentials_of(server.endpoint_url, account), account=account)
        seeder.seed([chunk for spec in specs for chunk in split(spec, SEED_WORKERS // len(specs) or 1)])
    boto3.client("s3", region_name="us-east-1", endpoint_url=server.endpoint_url, aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
    return ids, time.perf_counter() - began


def timed(server: LayeredMotoServer, kubernetes: FakeKubernetes, name: str, latency_ms: float,
          event: dict | None = None) -> Run:
    """One handler run in a fresh process, ACCOUNTS=organization, with the event given (a dry run)."""
    run = execute(server, Run(name, latency_ms, 0.0, None), kubernetes=kubernetes,
                  argv=[json.dumps(event)] if event else (),
                  env={"ACCOUNTS": "organization", "REPORT_S3_URI": f"s3://{BUCKET}/reports/"})
    if run.failure:
        raise SystemExit(f"{name}: {run.failure}")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--sample-accounts", type=int, default=3, help="account steps timed (default 3)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "organization.json")
    args = parser.parse_args(argv)
    server = LayeredMotoServer()
    server.start()
    kubernetes = FakeKubernetes().__enter__()
    try:
        ids, seeding_s = seed(server, kubernetes, args.accounts)
        print(f"Seeded {args.accounts} member accounts in {seeding_s:.1f} s", flush=True)
        server.layer.cache_reads, server.layer.rate_quotas = True, AWS_RATE_QUOTAS
        timed(server, kubernetes, "warm-up", 0.0)
        embedded = timed(server, kubernetes, "one invocation", args.latency_ms)
        listed = timed(server, kubernetes, "accounts step", args.latency_ms, {"step": "accounts", "dry_run": True})
        run_id, items = listed.summary["run"], listed.summary["accounts"]
        steps = [timed(server, kubernetes, f"account step {item['name']}", args.latency_ms,
                       {"step": "account", "run": run_id, "target_account": item, "dry_run": True})
                 for item in items[:args.sample_accounts]]
        parts = [step.summary for step in steps]
        parts += [{"account": item["id"], "name": item["name"], "error": "not read by this benchmark"}
                  for item in items[args.sample_accounts:]]
        report = timed(server, kubernetes, "report step", args.latency_ms,
                       {"step": "report", "run": run_id, "parts": parts, "dry_run": True})
    finally:
        kubernetes.__exit__()
        server.stop()
    rows = [("one invocation, every account", embedded), ("accounts step", listed),
            *((f"account step ({step.name.split()[-1]})", step) for step in steps), ("report step", report)]
    print(f"\n{'run':34} {'wall s':>7} {'CPU s':>6} {'RSS MB':>7} {'calls':>6} {'throttled':>9}")
    for label, run in rows:
        print(f"{label:34} {run.handler_s:7.2f} {run.child_cpu_s:6.2f} {run.peak_rss_mb:7.1f}"
              f" {sum(run.calls.values()):6d} {run.throttled:9d}")
    per_account = statistics.median(step.handler_s for step in steps)
    print(f"\nper-account step, median of {len(steps)}: {per_account:.2f} s;"
          f" one invocation: {embedded.summary['repositories']} repositories,"
          f" {embedded.summary['images']} images, {len(embedded.summary['errors'])} errors")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"accounts": args.accounts, "latency_ms": args.latency_ms,
                                     "seeding_s": round(seeding_s, 1),
                                     "runs": {label: {"wall_s": run.handler_s, "cpu_s": run.child_cpu_s,
                                                      "peak_rss_mb": run.peak_rss_mb, "calls": run.calls,
                                                      "throttled": run.throttled} for label, run in rows},
                                     "per_account_step_s": per_account}, indent=2))
    print(f"Results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
