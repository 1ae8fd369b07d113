"""The benchmark's CI size runs end to end: complete inventories, efficient call counts (no timing)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import Run, Size, median_run, plan  # noqa: E402


def test_repeated_runs_keep_the_median_and_every_time() -> None:
    times = [9.4, 7.1, 10.2]
    done = [Run(f"shipped#{n}", 40.0, 0.0, None, handler_s=t) for n, t in enumerate(times)]
    kept = median_run(done)
    assert kept.handler_s == 9.4 and kept.handler_s_runs == times
    done[2].failure = "child failed: boom"
    assert median_run(done).failure == "child failed: boom"  # a failed repeat is never hidden by the median


def test_max_workers_flag_sets_the_shipped_runs_and_never_the_sequential_one() -> None:
    size = Size(2, 12, 150, 20, 5.0, 0.1)
    assert [run.max_workers for run in plan(size, 32)] == [32, 1, 32, 32]
    assert [run.max_workers for run in plan(size)] == [None, 1, None, None]  # None: the product's default


@pytest.mark.slow
def test_tiny_benchmark_is_complete_and_makes_the_expected_calls(tmp_path: Path) -> None:
    results = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--json", str(results)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(results.read_text())
    assert [run["name"] for run in data["runs"]] == [
        "shipped@5ms", "sequential@5ms", "shipped@0ms", "shipped@5ms+10%throttled"]
    for run in data["runs"]:
        summary = run["summary"]
        found = {key: summary[key] for key in ("regions", "repositories", "images", "functions")}
        assert found == data["inventory"] and summary["errors"] == [], run["name"]
    assert data["runs"][-1]["throttled"] > 0
    failed = [check for check in data["checks"] if check["kind"] in ("inventory", "calls") and not check["passed"]]
    assert failed == []



def test_the_asks_bench_times_what_a_run_asks_a_region_that_holds_no_consumer(aws, monkeypatch) -> None:
    from collections import Counter

    from asks import ASKS
    from botocore import xform_name

    from ecr_usage_report.run import run

    monkeypatch.delenv("REGIONS", raising=False)  # the account's one enabled region, which offers every kind's service
    asked = []
    for kinds in ("none", "all"):  # the first run warms the container, so both skip the same one-off calls
        aws.layer.reset_counts()
        run({"dry_run": True, "consumer_kinds": kinds})
        asked.append(Counter({xform_name(operation): count for (operation, _), count in aws.layer.calls.items()}))
    assert asked[1] - asked[0] == Counter(operation for _, operation in ASKS)
    assert asked[0]["describe_regions"] == 1
