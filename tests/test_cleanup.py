"""Issue 6: what to delete, what it costs, when it was last pulled; JSON and CSV exports.

Each rule is seeded to fire once, next to a near miss that must not fire.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec
from ecr_usage_report.cli import render
from ecr_usage_report.run import ReportError, RunResult, run
from lambda_function import lambda_handler
from tests.helpers import FAST_DELIVERY

SEOUL, OREGON = "ap-northeast-2", "us-west-2"
ROOT = Path(__file__).resolve().parent.parent
GB = 10**9
ACCOUNT = "123456789012"


def seoul_account() -> list[RegionSpec]:
    seoul = RegionSpec(SEOUL, repositories={
        "unused-200d": [ImageSpec(["v1"], 3 * GB, 200)],
        "unused-182d": [ImageSpec(["v1"], 1 * GB, 182)],
        "alias-pinned": [ImageSpec(["v1"], 2 * GB, 400)],
        "current": [ImageSpec(["v1"], 1 * GB, 100, pulled_days_ago=1), ImageSpec([], GB // 2, 120)],
        "idle-400d": [ImageSpec(["v1"], 4 * GB, 500)],
        "ran-364d": [ImageSpec(["v1"], 1 * GB, 500)],
        "no-logs": [ImageSpec(["v1"], 1 * GB, 500)],
    })
    seoul.functions = [
        FunctionSpec("pinned-fn", ("alias-pinned", "v1"), last_run_days_ago=1),
        FunctionSpec("idle-fn", ("idle-400d", "v1"), last_run_days_ago=400),
        FunctionSpec("idle-fn-2", ("idle-400d", "v1"), last_run_days_ago=380),
        FunctionSpec("ran-364-fn", ("ran-364d", "v1"), last_run_days_ago=364),
        FunctionSpec("never-logged", ("no-logs", "v1")),
    ]
    return [seoul]


@pytest.fixture
def account(seed, monkeypatch):
    """The Seoul account, with pinned-fn's alias `prod` left on the old image after an update."""
    monkeypatch.setenv("REGIONS", SEOUL)
    seeder = seed(seoul_account())
    lam = boto3.client("lambda", region_name=SEOUL)
    version = lam.publish_version(FunctionName="pinned-fn")["Version"]
    lam.create_alias(FunctionName="pinned-fn", Name="prod", FunctionVersion=version)
    lam.update_function_code(FunctionName="pinned-fn", ImageUri=f"{ACCOUNT}.dkr.ecr.{SEOUL}.amazonaws.com/current:v1")
    boto3.client("ecr", region_name=SEOUL).put_lifecycle_policy(
        repositoryName="current", lifecyclePolicyText=json.dumps({"rules": [{
            "rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                             "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}}]}))
    return seeder


def section(report: str, title: str) -> list[str]:
    """The lines of one report section, title included."""
    start = report.index(title)
    return report[start:].split("\n\n")[0].split("\n")


def repo_line(report: str, name: str) -> str:
    [line] = [line for line in report.split("\n") if line.startswith(f"repository name : {name} /")]
    return line


def dry_run(event: dict | None = None) -> RunResult:
    return run({"dry_run": True, **(event or {})})


def test_candidates_fire_on_each_rule_and_not_on_near_misses(account):
    report = dry_run().report
    lines = section(report, "====== DELETION CANDIDATES")
    assert lines[0] == "====== DELETION CANDIDATES : 2 repositories, 7.000 GB, $0.70 per month ======"
    assert lines[1].startswith("- ap-northeast-2 idle-400d : 4.000 GB, $0.40 per month : every function using it"
                               " last ran over 365 days ago: idle-fn (last run ")
    assert "idle-fn-2 (last run " in lines[1]
    assert lines[2] == ("- ap-northeast-2 unused-200d : 3.000 GB, $0.30 per month : no function or other consumer"
                        " uses it, its last push was 200 days ago (over 183) and it was never pulled")
    for near_miss in ("unused-182d", "alias-pinned", "ran-364d", "no-logs", "current"):
        assert f" {near_miss} :" not in "\n".join(lines)


def test_alias_pinned_version_keeps_its_repository_in_use(account):
    report = dry_run().report
    assert "/ current using lambda : :large_green_circle: /" in repo_line(report, "alias-pinned")
    assert "pinned-fn" in report.split(repo_line(report, "alias-pinned"))[1].split("repository name")[0]


def test_repository_line_shows_age_images_pulls_and_lifecycle(account):
    report = dry_run().report
    current = repo_line(report, "current")
    assert "/ push age : :large_green_circle: /" in current
    assert "/ images : 2 (untagged 1, 0.500 GB) /" in current
    assert "/ lifecycle policy : yes" in current and "/ last pulled : 20" in current
    assert "/ push age : :large_orange_circle: /" in repo_line(report, "unused-200d")
    assert "/ push age : :red_circle: /" in repo_line(report, "alias-pinned")
    assert "/ last pulled : - /" in repo_line(report, "alias-pinned")
    assert "/ lifecycle policy : no" in repo_line(report, "alias-pinned")


def test_summary_totals_cost_and_largest(account):
    lines = section(dry_run({"price_per_gb_month": "0.5"}).report, "====== SUMMARY")
    assert lines[1] == ("regions : 1 with repositories of 1 scanned / repositories : 7 / images : 8 / total size :"
                        " 13.500 GB / estimated storage cost : $6.75 per month (at $0.50 per GB-month)")
    assert "upper bounds" in lines[2]
    assert lines[3:] == [
        "1. ap-northeast-2 idle-400d : 4.000 GB ($2.00 per month)",
        "2. ap-northeast-2 unused-200d : 3.000 GB ($1.50 per month)",
        "3. ap-northeast-2 alias-pinned : 2.000 GB ($1.00 per month)",
        "4. ap-northeast-2 current : 1.500 GB ($0.75 per month)",
        "5. ap-northeast-2 unused-182d : 1.000 GB ($0.50 per month)",
    ]


def candidate_names(event: dict) -> list[str]:
    return sorted(c.repository.name for c in dry_run(event).findings.candidates)


def test_thresholds_from_env_and_event(account, monkeypatch):
    monkeypatch.setenv("UNUSED_DAYS", "150")  # the 182-day-old repository is now old enough
    monkeypatch.setenv("IDLE_DAYS", "10")
    assert candidate_names({"idle_days": 370}) == ["idle-400d", "unused-182d", "unused-200d"]
    # the event beats the env var: at 390 days, idle-fn-2 (380 days) is not idle, so it keeps idle-400d
    assert candidate_names({"idle_days": 390}) == ["unused-182d", "unused-200d"]


def test_a_region_with_unreadable_functions_names_no_candidate(aws, seed, monkeypatch):
    monkeypatch.setenv("REGIONS", f"{SEOUL},{OREGON}")
    seed([RegionSpec(SEOUL, repositories={"old": [ImageSpec(["v1"], GB, 300)]}),
          RegionSpec(OREGON, repositories={"old-too": [ImageSpec(["v1"], GB, 300)]})])
    aws.layer.fail(region=OREGON, operation="ListFunctions")
    report = dry_run().report
    lines = section(report, "====== DELETION CANDIDATES")
    assert lines[0].startswith("====== DELETION CANDIDATES : 1 repositories")
    assert "Not judged, as their Lambda functions could not all be read: us-west-2" in lines


@pytest.mark.parametrize("event, message", [
    ({"unused_days": -1}, 'event key "unused_days" must be a whole number from 0 to 36500, got -1'),
    ({"idle_days": "soon"}, 'event key "idle_days" must be a whole number'),
    ({"price_per_gb_month": -1}, 'event key "price_per_gb_month" must be a number from 0 to 1000'),
    ({"unused_days": 1.5}, 'event key "unused_days" must be a whole number'),
], ids=["unused-negative", "idle-word", "price-negative", "unused-fraction"])
def test_bad_thresholds_are_clear_errors(aws, event, message):
    with pytest.raises(ReportError, match=message):
        lambda_handler({"dry_run": True, **event}, None)


@pytest.mark.parametrize("name, value", [("UNUSED_DAYS", "-5"), ("IDLE_DAYS", "1y"), ("ECR_PRICE_PER_GB_MONTH", "ten")])
def test_bad_threshold_env_vars_are_clear_errors(aws, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ReportError, match=f"env var {name} must be"):
        lambda_handler({"dry_run": True}, None)


def test_json_export_has_the_documented_schema(account):
    document = json.loads(render(dry_run(), "json"))
    assert document["schema_version"] == 2  # version 2 keeps every field of version 1 and adds consumers
    assert set(document) == {"schema_version", "generated_at", "account", "settings", "regions_scanned", "summary",
                             "repositories", "functions", "deletion_candidates", "errors", "comparison",
                             "consumers", "not_judged", "regions_read_fully"}  # issue 28: what a comparison compares
    assert datetime.fromisoformat(document["generated_at"]).utcoffset().total_seconds() == 0
    current = next(r for r in document["repositories"] if r["name"] == "current")
    assert (current["image_count"], current["untagged_image_count"], current["lifecycle_policy"]) == (2, 1, True)
    assert current["untagged_size_bytes"] == GB // 2 and current["last_pulled_at"].endswith("+00:00")
    assert {u["function"] for u in current["used_by"]} == {"pinned-fn"}
    pinned = next(f for f in document["functions"] if f["name"] == "pinned-fn")
    assert [v["Aliases"] for v in pinned["aliased_versions"]] == [["prod"]]
    assert pinned["aliased_versions"][0]["ImageUri"].endswith("/alias-pinned:v1")
    assert [(c["repository"], c["reason"]) for c in document["deletion_candidates"]] == [
        ("idle-400d", "idle"), ("unused-200d", "unused")]
    assert document["deletion_candidates"][1]["monthly_cost_usd"] == 0.3
    assert document["summary"]["total_size_bytes"] == 13_500_000_000


def test_csv_export_parses_back_to_one_row_per_image(account):
    result = dry_run()
    document = json.loads(render(result, "json"))
    rows = list(csv.DictReader(io.StringIO(render(result, "csv"))))
    expected = [
        {"region": r["region"], "repository": r["name"], "tags": " ".join(i["tags"]), "digest": i["digest"],
         "size_bytes": str(i["size_bytes"]), "pushed_at": i["pushed_at"] or "", "last_pulled_at": i["last_pulled_at"] or "",
         "used_by": " ".join(i["used_by"]), "status": i["status"], "last_archived_at": i["last_archived_at"] or "",
         "kind": i["kind"], "stored_bytes": str(i["stored_bytes"])}
        for r in document["repositories"] for i in r["images"]
    ]
    assert rows == expected and len(rows) == 8
    alias_row = next(row for row in rows if row["repository"] == "alias-pinned")
    assert alias_row["used_by"] == "pinned-fn"


def test_command_line_csv(account):
    done = subprocess.run([sys.executable, "lambda_function.py", "--dry-run", "--format", "csv"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[0] == ("region,repository,tags,digest,size_bytes,pushed_at,last_pulled_at,used_by,"
                                           "status,last_archived_at,kind,stored_bytes")
    assert len(done.stdout.splitlines()) == 9


def test_json_export_is_written_to_s3_when_asked(account, slack, monkeypatch):
    s3 = boto3.client("s3", region_name=SEOUL)
    s3.create_bucket(Bucket="lab-reports", CreateBucketConfiguration={"LocationConstraint": SEOUL})
    monkeypatch.setenv("REPORT_S3_URI", "s3://lab-reports/ecr")
    dry_run()  # issue 28: a dry run keeps out of the scheduled report's history
    assert "Contents" not in s3.list_objects_v2(Bucket="lab-reports")
    run({}, delivery=FAST_DELIVERY)
    [item] = s3.list_objects_v2(Bucket="lab-reports")["Contents"]
    assert item["Key"].startswith("ecr/ecr-usage-report-") and item["Key"].endswith("Z.json")
    body = json.loads(s3.get_object(Bucket="lab-reports", Key=item["Key"])["Body"].read())
    assert body["schema_version"] == 2 and len(body["repositories"]) == 7


@pytest.mark.parametrize("uri", ["lab-reports/ecr", "s3://", "https://lab-reports.s3.amazonaws.com/x"])
def test_bad_report_s3_uri_is_a_clear_error(aws, monkeypatch, uri):
    monkeypatch.setenv("REPORT_S3_URI", uri)
    with pytest.raises(ReportError, match="REPORT_S3_URI must look like s3://bucket/prefix/"):
        lambda_handler({"dry_run": True}, None)
