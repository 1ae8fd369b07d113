"""Issue 27: in use means any evidence of use: a pull, a policy that lets another account pull, a
lifecycle policy about to take an image a consumer runs; and an empty repository is a candidate.

On an account where nothing listable uses the repositories and every push is 400 days old, each
case sits beside its near miss.
"""
from __future__ import annotations

import json

import pytest

from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec
from ecr_usage_report.cli import render
from ecr_usage_report.run import RunResult, run

SEOUL = "ap-northeast-2"
GB = 10**9
PARTNER = "111122223333"
KEEP_NEWEST = json.dumps({"rules": [{
    "rulePriority": 1, "description": "keep only the newest tagged image",
    "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 1},
    "action": {"type": "expire"}}]})
SHARED = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})


def evidence_account() -> list[RegionSpec]:
    seoul = RegionSpec(SEOUL, repositories={
        "pulled-2d": [ImageSpec(["v1"], 1 * GB, 400, pulled_days_ago=2)],
        "pulled-300d": [ImageSpec(["v1"], 2 * GB, 400, pulled_days_ago=300)],
        "never-pulled": [ImageSpec(["v1"], 3 * GB, 400)],
        "shared-base": [ImageSpec(["v1"], 1 * GB, 400, pulled_days_ago=250)],
        "kept-newest": [ImageSpec(["v1"], 1 * GB, 401), ImageSpec(["v2"], 1 * GB, 400)],
        "empty-400d": [],
        "empty-new": [],
    }, created_days_ago={"empty-400d": 400})
    seoul.lifecycle_policies = {"kept-newest": KEEP_NEWEST}
    seoul.repository_policies = {"shared-base": SHARED}
    seoul.functions = [FunctionSpec("old-tag-fn", ("kept-newest", "v1"), last_run_days_ago=1)]
    return [seoul]


@pytest.fixture
def account(seed, monkeypatch):
    monkeypatch.setenv("REGIONS", SEOUL)
    return seed(evidence_account())


def dry_run() -> RunResult:
    return run({"dry_run": True})


def block(report: str, name: str) -> list[str]:
    """A repository's line and the lines under it."""
    lines = report.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"repository name : {name} /"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("\t")), len(lines))
    return lines[start:end]


def candidates(report: str) -> list[str]:
    start = report.index("====== DELETION CANDIDATES")
    return report[start:].split("\n\n")[0].split("\n")


def test_a_recent_pull_keeps_a_repository_and_asks_who_pulls_it(account):
    result = dry_run()
    lines = candidates(result.report)
    assert not any(" pulled-2d " in line for line in lines)
    [pulled] = [line for line in block(result.report, "pulled-2d") if "cannot list" in line]
    assert pulled.startswith("\t- pulled by something this report cannot list : last pull 20")
    assert pulled.endswith("(2 days ago), images v1")
    assert "1 repository pulled by something this report cannot list: ap-northeast-2 pulled-2d" in result.message[0]
    assert "1 repository pulled by something this report cannot list: ap-northeast-2 pulled-2d" in result.report
    document = json.loads(render(result, "json"))
    record = next(r for r in document["repositories"] if r["name"] == "pulled-2d")
    assert record["pulled_by_unlisted"]["images"] == [record["images"][0]["digest"]]
    assert document["summary"]["repositories_pulled_by_unlisted"] == 1


def test_an_old_pull_and_no_pull_are_candidates_with_their_pull_fact(account):
    lines = candidates(dry_run().report)
    assert ("- ap-northeast-2 never-pulled : 3.000 GB, $0.30 per month : no function or other consumer uses it,"
            " its last push was 400 days ago (over 183) and it was never pulled") in lines
    assert ("- ap-northeast-2 pulled-300d : 2.000 GB, $0.20 per month : no function or other consumer uses it,"
            " its last push was 400 days ago and its last pull 300 days ago (over 183)") in lines


def test_a_repository_another_account_may_pull_is_not_judged(account):
    result = dry_run()
    lines = candidates(result.report)
    assert not any(line.startswith("- ap-northeast-2 shared-base") for line in lines)
    assert (f"Not judged, shared with 1 other account ({PARTNER}): ap-northeast-2 shared-base, 1.000 GB,"
            " its last pull 250 days ago") in lines
    assert f"\t- shared with {PARTNER}" in block(result.report, "shared-base")
    document = json.loads(render(result, "json"))
    record = next(r for r in document["repositories"] if r["name"] == "shared-base")
    assert record["shared_with"]["accounts"] == [PARTNER] and record["not_judged"] == f"shared with {PARTNER}"


def test_a_lifecycle_policy_that_expires_what_a_function_runs_is_a_warning(account):
    result = dry_run()
    warning = ('lifecycle rule 1 ("keep only the newest tagged image") expires v1, which lambda function old-tag-fn'
               " runs: their next pull, cold start or deploy of it fails")
    lines = block(result.report, "kept-newest")
    assert "\t- lifecycle : next evaluation expires 1 image, 1.000 GB ($0.10 a month)" in lines
    assert f"\t- warning : {warning}" in lines
    assert f"• ap-northeast-2 kept-newest: {warning}" in result.message[0]
    document = json.loads(render(result, "json"))
    [record] = next(r for r in document["repositories"] if r["name"] == "kept-newest")["lifecycle_warnings"]
    assert (record["tags"], record["action"], record["consumers"][0]["name"]) == (["v1"], "expire", "old-tag-fn")


def test_an_empty_repository_created_long_ago_is_a_candidate_listed_last(account):
    lines = candidates(dry_run().report)
    assert lines[0].startswith("====== DELETION CANDIDATES : 3 repositories, 5.000 GB")
    assert lines[3].startswith("- ap-northeast-2 empty-400d : 0.000 GB, $0.00 per month : empty since 20")
    assert lines[3].endswith("(created 400 days ago, over 183) and no function or other consumer uses it")
    assert not any(" empty-new " in line for line in lines)


def test_an_unreadable_repository_policy_is_named_and_its_repository_not_judged(account, aws):
    aws.layer.fail(operation="GetRepositoryPolicy", code="AccessDeniedException", message="not allowed")
    report = dry_run().report
    lines = candidates(report)
    assert ("Not judged, its repository policy could not be read (see ERRORS): ap-northeast-2 never-pulled,"
            " 3.000 GB, never pulled") in lines
    assert not any(line.startswith("- ap-northeast-2 never-pulled") for line in lines)
    assert "- ECR ap-northeast-2/never-pulled : GetRepositoryPolicy" in report
