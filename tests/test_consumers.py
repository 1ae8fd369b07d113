"""Issue 19: in use means in use anywhere. One repository per consumer kind and one truly unused, all
pushed 400 days ago: only the unused one is a candidate, each consumer is named under its repository,
and a consumer kind that cannot be read leaves its region "not judged", the error named."""
from __future__ import annotations

import json

import boto3
import pytest

from devtools.simulated_account import (AppRunnerSpec, BatchJobSpec, EcsClusterSpec, EcsServiceSpec, EksClusterSpec,
                                        FunctionSpec, ImageSpec, RegionSpec, ScheduledTaskSpec, WorkloadSpec,
                                        manifest_for)
from ecr_usage_report.aws import clients as aws_clients
from ecr_usage_report.cli import render
from ecr_usage_report.report.consumers import region_list
from ecr_usage_report.run import RunResult, run

VIRGINIA = "us-east-1"  # App Runner is offered here (not in Seoul)
OREGON = "us-west-2"
SEOUL = "ap-northeast-2"
GB = 10**9
OLD = 400


def old_image(tag: str) -> ImageSpec:
    return ImageSpec([tag], GB, OLD)


def every_kind_account() -> list[RegionSpec]:
    region = RegionSpec(VIRGINIA, repositories={name: [old_image("v1")] for name in (
        "svc-by-tag", "old-revision", "eventbridge-task", "scheduler-task", "batch-job", "apprunner-image",
        "eks-deployment", "eks-cronjob", "lambda-rollback", "lambda-current", "unused")})
    region.repositories["task-by-digest"] = [ImageSpec(["v1", "build-7"], GB, OLD), old_image("v2")]
    region.task_definitions = {
        "web": [[("old-revision", "v1")], [("svc-by-tag", "v1")]],
        "report": [[("task-by-digest", "v1")]],
        "monthly": [[("eventbridge-task", "v1")]],
        "nightly": [[("scheduler-task", "v1")]],
    }
    region.ecs_clusters = [EcsClusterSpec("prod", services=[EcsServiceSpec("web", "web:2")], tasks=["report:1"])]
    region.scheduled_tasks = [ScheduledTaskSpec("monthly-report", "monthly", cluster="prod"),
                              ScheduledTaskSpec("nightly-sync", "nightly:1", scheduler=True, cluster="prod")]
    region.batch_jobs = [BatchJobSpec("crunch", ("batch-job", "v1"))]
    region.app_runner = [AppRunnerSpec("front-web", ("apprunner-image", "v1"))]
    region.eks_clusters = [EksClusterSpec("prod", [
        WorkloadSpec("deployment", "shop", "api", ("eks-deployment", "v1"), pods=2),
        WorkloadSpec("cronjob", "jobs", "monthly-export", ("eks-cronjob", "v1"), last_run_days_ago=20)])]
    region.functions = [FunctionSpec("resizer", ("lambda-rollback", "v1"), last_run_days_ago=1, versions=1,
                                     moved_to=("lambda-current", "v1"))]
    return [region]


@pytest.fixture
def account(seed, monkeypatch):
    """Seeded; then the running task's tag moves on, so only its digest names the image it runs."""
    monkeypatch.setenv("REGIONS", VIRGINIA)
    seeder = seed(every_kind_account())
    boto3.client("ecr", region_name=VIRGINIA).put_image(
        repositoryName="task-by-digest", imageTag="v1", imageManifest=manifest_for(f"{VIRGINIA}/task-by-digest/1"))
    return seeder


def dry_run(event: dict | None = None) -> RunResult:
    return run({"dry_run": True, **(event or {})})


def block(report: str, repository: str) -> list[str]:
    """A repository's line and the lines under it."""
    lines = report.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"repository name : {repository} /"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("\t- ")), len(lines))
    return lines[start:end]


def consumers_under(report: str, repository: str) -> list[str]:
    """`<kind> <name>` of each line under a repository."""
    return [line.removeprefix("\t- ").split(" / ")[0] for line in block(report, repository)[1:]]


def test_only_the_repository_nothing_uses_is_a_deletion_candidate(account):
    result = dry_run()
    assert [c.repository.name for c in result.findings.candidates] == ["unused"]
    assert result.inventory.errors == () and result.findings.not_judged == {}


@pytest.mark.parametrize("repository, consumers", [
    ("svc-by-tag", ["ecs service prod/web"]),
    ("task-by-digest", ["ecs task prod/family:report"]),
    ("old-revision", ["ecs task-definition web:1"]),
    ("eventbridge-task", ["eventbridge rule monthly-report"]),
    ("scheduler-task", ["scheduler schedule default/nightly-sync"]),
    ("batch-job", ["batch job-definition crunch:1"]),
    ("apprunner-image", ["apprunner service front-web"]),
    ("eks-deployment", ["eks deployment prod/shop/api", "eks pod prod/shop/api"]),
    ("eks-cronjob", ["eks cronjob prod/jobs/monthly-export"]),
    ("lambda-rollback", ["lambda version resizer:1"]),
    ("lambda-current", ["function name : resizer"]),
    ("unused", []),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_consumer_is_named_under_its_repository(account, repository, consumers):
    assert consumers_under(dry_run().report, repository) == consumers


def test_consumer_lines_say_when_it_last_ran_and_its_state(account):
    report = dry_run().report
    [cronjob] = block(report, "eks-cronjob")[1:]
    assert cronjob.startswith("\t- eks cronjob prod/jobs/monthly-export / last run : 20")
    assert cronjob.endswith(" / schedule 0 0 1 * *")
    assert block(report, "svc-by-tag")[1] == "\t- ecs service prod/web / 0 of 1 running"
    assert block(report, "old-revision")[1] == "\t- ecs task-definition web:1 / rollback target"
    assert block(report, "apprunner-image")[1] == "\t- apprunner service front-web / RUNNING"
    assert block(report, "lambda-rollback")[1].startswith("\t- lambda version resizer:1 / last run : ")
    # the manual's line for a function is as the manual writes it
    assert block(report, "lambda-current")[1].startswith("\t- function name : resizer / last execution time : ")


def test_legend_and_summary_count_consumers_by_kind(account):
    report = dry_run().report
    assert ('other consumers, each listed under the repositories it uses as "- <kind> <name>" (kinds read: ecs,'
            " eventbridge, scheduler, batch, apprunner, eks, codebuild, sagemaker, lambda-versions) : apprunner service 1,"
            " batch job-definition 1, ecs service 1, ecs task 1, ecs task-definition 1, eks cronjob 1,"
            " eks deployment 1, eks pod 1, eventbridge rule 1, lambda version 1, scheduler schedule 1") in report
    assert ("consumers using these repositories : 12 (lambda function 1, apprunner service 1, batch job-definition 1,"
            " ecs service 1, ecs task 1, ecs task-definition 1, eks cronjob 1, eks deployment 1, eks pod 1,"
            " eventbridge rule 1, lambda version 1, scheduler schedule 1)") in report


def test_a_running_task_keeps_the_image_it_runs_by_digest_after_its_tag_moved(account):
    document = json.loads(render(dry_run(), "json"))
    repository = next(r for r in document["repositories"] if r["name"] == "task-by-digest")
    first, second = account.digests[(VIRGINIA, "task-by-digest")]
    by_digest = {image["digest"]: image for image in repository["images"]}
    assert by_digest[first]["tags"] == ["build-7"]  # v1 now names the second image
    assert by_digest[first]["consumers"] == [
        {"kind": "ecs task", "name": "prod/family:report", "region": VIRGINIA, "reference": "digest"}]
    assert by_digest[second]["consumers"] == [
        {"kind": "ecs task", "name": "prod/family:report", "region": VIRGINIA, "reference": "tag"}]


DENIALS = {  # label in ERRORS -> how the kind is denied
    "ECS": {"service": "ecs", "operation": "ListClusters"},
    "EventBridge": {"service": "events", "operation": "ListRules"},
    "EventBridge Scheduler": {"service": "scheduler", "operation": "ListSchedules"},
    "Batch": {"service": "batch", "operation": "DescribeJobDefinitions"},
    "App Runner": {"service": "apprunner", "operation": "ListServices"},
}


@pytest.mark.parametrize("label", list(DENIALS))
def test_a_denied_consumer_kind_leaves_its_region_not_judged_and_is_named(account, aws, label):
    aws.layer.fail(region=VIRGINIA, message=f"no {label} read access", **DENIALS[label])
    report = dry_run().report
    assert f"====== DELETION CANDIDATES : 0 repositories" in report
    assert f"Not judged, as their {label} consumers could not all be read: {VIRGINIA}" in report
    assert f"- {label} {VIRGINIA} : AccessDeniedException: no {label} read access" in report


def test_an_unread_kind_in_another_region_leaves_every_region_not_judged(account, aws, monkeypatch):
    # An ECS service in Oregon may run Virginia's images, so Oregon's unread services leave Virginia unknown.
    monkeypatch.setenv("REGIONS", f"{VIRGINIA},{OREGON}")
    aws.layer.fail(region=OREGON, message="no ECS read access", **DENIALS["ECS"])
    result = dry_run()
    assert result.findings.candidates == () and result.findings.not_judged == {VIRGINIA: (f"ECS in {OREGON}",)}
    assert (f"Not judged, as ECS consumers in {OREGON} could not all be read, and they may run any region's"
            f" images: {VIRGINIA}") in result.report
    assert block(result.report, "unused")[0].split(" / ")[3] == "current using lambda : unknown"
    assert f"- ECS {OREGON} : AccessDeniedException: no ECS read access" in result.report


def test_a_kind_denied_everywhere_is_one_line_naming_where(account, aws, monkeypatch):
    # a role with no ECS read at all: one line for ECS, not one per region it could not read
    monkeypatch.setenv("REGIONS", f"{VIRGINIA},{OREGON},{SEOUL}")
    aws.layer.fail(message="no ECS read access", **DENIALS["ECS"])
    result = dry_run()
    judged = [line for line in result.report.split("\n") if line.startswith("Not judged")]
    assert judged == [f"Not judged, as ECS consumers in {SEOUL}, {VIRGINIA}, {OREGON} could not all be read, and"
                      f" they may run any region's images: {VIRGINIA}"]
    assert sum(line.startswith("• not judged") for line in result.message[0].split("\n")) == 1


def test_a_long_list_of_regions_is_cut_for_the_summary():
    regions = [f"region-{n}" for n in range(8)]
    assert region_list(regions, 5) == "region-0, region-1, region-2, region-3, region-4 and 3 more"
    assert region_list(regions[:5], 5) == ", ".join(regions[:5]) and region_list(regions) == ", ".join(regions)


def test_the_summary_warns_of_a_region_not_judged_with_its_reason(account, aws):
    aws.layer.fail(region=VIRGINIA, message="no Batch read access", **DENIALS["Batch"])
    [summary_text, *_] = dry_run().message
    assert f"• not judged, as their Batch consumers could not all be read: {VIRGINIA}" in summary_text


def test_an_eks_cluster_the_role_cannot_enter_leaves_its_region_not_judged(account, kubernetes):
    kubernetes.refuse("prod")
    result = dry_run()
    assert result.findings.candidates == () and result.findings.not_judged == {VIRGINIA: ("EKS",)}
    assert f"- EKS {VIRGINIA}/prod pods : Unauthorized (HTTP 401): the report's role cannot enter the cluster" \
           in result.report
    assert [error.resource for error in result.inventory.errors] == ["prod pods"]  # it is asked nothing more


def test_unreadable_lambda_rollback_versions_leave_the_region_not_judged(account, aws):
    aws.layer.fail(region=VIRGINIA, operation="GetFunction", message="no lambda:GetFunction")
    result = dry_run()
    assert result.findings.candidates == ()
    assert f"Not judged, as their Lambda functions could not all be read: {VIRGINIA}" in result.report


@pytest.mark.slow
def test_a_kind_throttled_past_every_retry_leaves_its_region_not_judged(account, aws, monkeypatch):
    monkeypatch.setattr(aws_clients, "MAX_ATTEMPTS", 2)
    aws.layer.fail(region=VIRGINIA, service="batch", operation="DescribeJobDefinitions", code="TooManyRequestsException",
                   message="Rate exceeded", status=429)
    result = dry_run()
    assert result.findings.not_judged == {VIRGINIA: ("Batch",)}
    assert f"- Batch {VIRGINIA} : TooManyRequestsException: Rate exceeded" in result.report


def test_consumer_kinds_setting_reads_only_the_kinds_asked(account, aws):
    result = dry_run({"consumer_kinds": ["ecs", "eks"]})
    called = {operation for operation, _ in aws.layer.calls}
    assert {"ListClusters", "DescribeServices", "DescribeTasks", "DescribeCluster"} <= called
    assert not called & {"ListRules", "ListSchedules", "DescribeJobDefinitions", "DescribeService"}
    assert result.inventory.consumer_kinds == ("ecs", "eks")
    names = sorted(c.repository.name for c in result.findings.candidates)
    # scheduled tasks, Batch, App Runner and rollback versions were not read, so their repositories look unused
    assert names == ["apprunner-image", "batch-job", "eventbridge-task", "lambda-rollback", "scheduler-task", "unused"]
    assert ("- us-east-1 batch-job : 1.000 GB, $0.10 per month : no function or ecs / eks consumer uses it,"
            " its last push was 400 days ago (over 183) and it was never pulled") in result.report  # it names what it read, no more


def test_json_export_version_2_names_each_repositorys_consumers_and_keeps_version_1(account, aws):
    document = json.loads(render(dry_run(), "json"))
    assert document["schema_version"] == 2
    assert document["settings"]["consumer_kinds"] == ["ecs", "eventbridge", "scheduler", "batch", "apprunner", "eks",
                                                      "codebuild", "sagemaker", "lambda-versions"]
    svc = next(r for r in document["repositories"] if r["name"] == "svc-by-tag")
    host = f"123456789012.dkr.ecr.{VIRGINIA}.amazonaws.com"
    assert svc["consumers"] == [{"kind": "ecs service", "name": "prod/web", "region": VIRGINIA, "last_run_at": None,
                                 "state": "0 of 1 running", "images": [
                                     {"image": f"{host}/svc-by-tag:v1", "reference": "tag",
                                      "as_named": f"{host}/svc-by-tag:v1"}]}]
    assert svc["used_by"] == [] and svc["images"][0]["used_by"] == []  # version 1's fields, as they were
    current = next(r for r in document["repositories"] if r["name"] == "lambda-current")
    assert [use["function"] for use in current["used_by"]] == ["resizer"]
    assert document["summary"]["consumers_by_kind"]["eks pod"] == 1 and len(document["consumers"]) == 11
    resizer = next(f for f in document["functions"] if f["name"] == "resizer")
    assert [v["Version"] for v in resizer["rollback_versions"]] == ["1"]
    assert document["not_judged"] == []
    aws.layer.fail(region=VIRGINIA, service="batch", operation="DescribeJobDefinitions")
    assert json.loads(render(dry_run(), "json"))["not_judged"] == [{"region": VIRGINIA, "reasons": ["Batch"]}]
