"""The benchmark's CI size runs end to end: complete inventories, efficient call counts (no timing)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
