"""The consumer readers against the simulated AWS: every page, describes batched as AWS allows, every
deployment and rollback target, schedules on any bus or target, and the settings that pick them."""
from __future__ import annotations

import json

import boto3
import pytest

from devtools.simulated_account import (AppRunnerSpec, EcsClusterSpec, EcsServiceSpec, ImageSpec, RegionSpec,
                                        ScheduledTaskSpec)
from ecr_usage_report.inventory.batch import images_of
from ecr_usage_report.inventory.ecs import service_of
from ecr_usage_report.cli import render
from ecr_usage_report.report.times import format_kst
from ecr_usage_report.run import ReportError, run
from lambda_function import lambda_handler
from tests.helpers import GB, OHIO, calls, candidates, dry_run, old_repositories

ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{OHIO}.amazonaws.com"


def test_ecs_describes_services_ten_and_tasks_a_hundred_at_a_time(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("web"))
    region.task_definitions = {"web": [[("web", "v1")]]}
    region.ecs_clusters = [EcsClusterSpec("big", services=[EcsServiceSpec(f"s{i:02d}", "web:1", desired=0)
                                                           for i in range(25)], tasks=["web:1"] * 150)]
    seed([region])
    result = dry_run({"consumer_kinds": ["ecs"]})
    assert result.inventory.errors == ()
    assert (calls(aws.layer, "ListServices"), calls(aws.layer, "DescribeServices")) == (1, 3)  # 100 a page; 10, 10, 5
    assert (calls(aws.layer, "ListTasks"), calls(aws.layer, "DescribeTasks")) == (2, 2)  # 100 a page; 100, 50
    kinds = [(c.kind, c.state) for c in result.inventory.consumers[OHIO] if c.kind == "ecs task"]
    assert kinds == [("ecs task", "150 running")]  # the tasks of one group are one consumer


def test_a_service_mid_rollout_uses_the_images_of_both_deployments(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("web-old", "web-new"))
    region.task_definitions = {"web": [[("web-old", "v1")], [("web-new", "v1")]]}
    region.ecs_clusters = [EcsClusterSpec("prod", services=[EcsServiceSpec("web", "web:2", previous="web:1")])]
    seed([region])
    result = dry_run({"ecs_rollback_revisions": 0})
    assert candidates(result) == []
    assert result.report.count("\t- ecs service prod/web / ") == 2  # under each repository


def test_a_service_describeservices_could_not_describe_is_named_and_its_region_not_judged(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("web", "unused"))
    region.task_definitions = {"web": [[("web", "v1")]]}
    region.ecs_clusters = [EcsClusterSpec("prod", services=[EcsServiceSpec("web", "web:1"),
                                                            EcsServiceSpec("gone", "web:1")])]
    seed([region])
    aws.layer.ecs.service_failures.update({(OHIO, "web"): "SERVICE_UNAVAILABLE", (OHIO, "gone"): "MISSING"})
    result = dry_run()
    [error] = result.inventory.errors  # MISSING: deleted since it was listed, nothing unknown
    assert (error.where, error.message.split(":")[0]) == (f"ECS {OHIO}/prod services", "SERVICE_UNAVAILABLE")
    assert candidates(result) == [] and result.findings.not_judged == {OHIO: ("ECS",)}


def test_a_blue_green_service_runs_the_task_definitions_of_its_task_sets():
    # CODE_DEPLOY and EXTERNAL services keep their revisions in task sets; scaled to zero, nothing else names them
    described = {"serviceName": "web", "deploymentController": {"type": "EXTERNAL"}, "deployments": [],
                 "taskSets": [{"taskDefinition": f"arn:aws:ecs:{OHIO}:{ACCOUNT}:task-definition/web:7"},
                              {"taskDefinition": f"arn:aws:ecs:{OHIO}:{ACCOUNT}:task-definition/web:6"}]}
    service = service_of(f"arn:aws:ecs:{OHIO}:{ACCOUNT}:cluster/prod", described)
    assert [arn.rpartition("/")[2] for arn in service.task_definitions] == ["web:7", "web:6"]


def test_the_newest_active_revisions_are_rollback_targets_as_many_as_asked(aws, seed, monkeypatch):
    names = [f"rev-{n}" for n in range(1, 6)]
    region = RegionSpec(OHIO, repositories=old_repositories(*names))
    region.task_definitions = {"web": [[(name, "v1")] for name in names]}
    region.inactive = ["web:4"]  # deregistered: ECS would not roll back to it
    region.ecs_clusters = [EcsClusterSpec("prod", services=[EcsServiceSpec("web", "web:5")])]
    seed([region])
    monkeypatch.setenv("ECS_ROLLBACK_REVISIONS", "2")
    result = dry_run()
    assert [c.name for c in result.inventory.consumers[OHIO] if c.kind == "ecs task-definition"] == ["web:3"]
    assert candidates(result) == ["rev-1", "rev-2", "rev-4"]
    assert candidates(dry_run({"ecs_rollback_revisions": 3})) == ["rev-1", "rev-4"]  # the event beats the env var


def test_schedules_on_a_custom_bus_and_through_the_universal_target_are_read(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("on-bus", "universal", "not-ecs"))
    region.task_definitions = {"bus-job": [[("on-bus", "v1")]], "sdk-job": [[("universal", "v1")]]}
    seed([region])
    events, scheduler = boto3.client("events", region_name=OHIO), boto3.client("scheduler", region_name=OHIO)
    events.create_event_bus(Name="jobs")
    events.put_rule(Name="on-upload", EventBusName="jobs", EventPattern=json.dumps({"source": ["lab.upload"]}))
    events.put_targets(Rule="on-upload", EventBusName="jobs", Targets=[{
        "Id": "1", "Arn": f"arn:aws:ecs:{OHIO}:{ACCOUNT}:cluster/lab", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/x",
        "EcsParameters": {"TaskDefinitionArn": f"arn:aws:ecs:{OHIO}:{ACCOUNT}:task-definition/bus-job"}}])
    events.put_rule(Name="to-sqs", ScheduleExpression="rate(1 day)")
    events.put_targets(Rule="to-sqs", Targets=[{"Id": "1", "Arn": f"arn:aws:sqs:{OHIO}:{ACCOUNT}:not-ecs"}])
    scheduler.create_schedule(Name="sdk-run", ScheduleExpression="rate(7 days)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": "arn:aws:scheduler:::aws-sdk:ecs:runTask",
                                      "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/x",
                                      "Input": json.dumps({"Cluster": "lab", "TaskDefinition": "sdk-job:1"})})
    scheduler.create_schedule(Name="to-lambda", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": f"arn:aws:lambda:{OHIO}:{ACCOUNT}:function:x",
                                      "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/x"})
    aws.layer.reset_counts()
    result = dry_run()
    consumers = {(c.kind, c.name) for c in result.inventory.consumers[OHIO]}
    assert consumers == {("eventbridge rule", "jobs/on-upload"), ("scheduler schedule", "default/sdk-run")}
    assert candidates(result) == ["not-ecs"]
    assert calls(aws.layer, "GetSchedule") == 1  # only the schedule that starts ECS tasks is read whole


def test_a_source_code_app_runner_service_names_no_image(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("site"))
    region.app_runner = [AppRunnerSpec("site", ("site", "v1"), paused=True)]
    seed([region])
    boto3.client("apprunner", region_name=OHIO).create_service(ServiceName="from-github", SourceConfiguration={
        "CodeRepository": {"RepositoryUrl": "https://github.com/lab/site", "SourceCodeVersion": {
            "Type": "BRANCH", "Value": "main"}}})
    result = dry_run()
    assert [(c.name, c.state) for c in result.inventory.consumers[OHIO]] == [("site", "PAUSED")]
    assert candidates(result) == []  # a paused service resumes on the same image


def test_app_runner_is_not_asked_where_it_is_not_offered(aws, seed):
    seed([RegionSpec("ap-northeast-2", repositories=old_repositories("app"))])
    result = run({"dry_run": True, "regions": ["ap-northeast-2"], "consumer_kinds": ["apprunner"]})
    assert result.inventory.errors == () and calls(aws.layer, "ListServices") == 0


def test_batch_job_definitions_name_every_image_of_every_property_and_node():
    definition = {
        "containerProperties": {"image": "a:1"},
        "nodeProperties": {"nodeRangeProperties": [
            {"container": {"image": "b:1"}},
            {"ecsProperties": {"taskProperties": [{"containers": [{"image": "c:1"}, {"image": "a:1"}]}]}},
            {"eksProperties": {"podProperties": {"initContainers": [{"image": "d:1"}], "containers": [{"image": "e:1"}]}}},
        ]},
    }
    assert images_of(definition) == ("a:1", "b:1", "c:1", "d:1", "e:1")


def test_lambda_rollback_versions_are_the_newest_published_versions_no_alias_names(aws, seed, monkeypatch):
    seed([RegionSpec(OHIO, repositories=old_repositories("v1-image", "v2-image", "v3-image", "latest-image"))])
    lam = boto3.client("lambda", region_name=OHIO)
    role = boto3.client("iam", region_name=OHIO).create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="resize", Role=role, PackageType="Image", Code={"ImageUri": f"{REGISTRY}/v1-image:v1"})
    for number, image in ((1, "v2-image"), (2, "v3-image"), (3, "latest-image")):
        lam.publish_version(FunctionName="resize")
        if number == 3:
            lam.create_alias(FunctionName="resize", Name="live", FunctionVersion="3")
        lam.update_function_code(FunctionName="resize", ImageUri=f"{REGISTRY}/{image}:v1")
    aws.layer.reset_counts()
    monkeypatch.setenv("LAMBDA_ROLLBACK_VERSIONS", "2")
    result = dry_run()
    assert [f.rollback_versions for f in result.inventory.functions[OHIO]][0][0].version == "2"
    assert calls(aws.layer, "GetFunction") == 3  # $LATEST, the aliased version 3, then version 2
    assert candidates(result) == ["v1-image"]  # version 1 is older than the two newest
    assert "\t- lambda version resize:2 / rollback target" in result.report
    assert candidates(dry_run({"consumer_kinds": ["lambda-versions"]})) == ["v1-image"]  # that kind alone
    assert candidates(dry_run({"consumer_kinds": ["ecs"]})) == ["v1-image", "v2-image"]  # no rollback versions


@pytest.mark.parametrize("name, value, message", [
    ("CONSUMER_KINDS", "ecs,k8s", "env var CONSUMER_KINDS names unknown consumer kind(s) k8s: use all, none, or some"),
    ("CONSUMER_KINDS", " , ", "env var CONSUMER_KINDS names no consumer kind: use all, none, or some of ecs,"),
    ("ECS_ROLLBACK_REVISIONS", "three", "env var ECS_ROLLBACK_REVISIONS must be a whole number"),
    ("ECS_ROLLBACK_REVISIONS", "101", "env var ECS_ROLLBACK_REVISIONS must be a whole number from 0 to 100, got '101'"),
    ("LAMBDA_ROLLBACK_VERSIONS", "-1", "env var LAMBDA_ROLLBACK_VERSIONS must be a whole number from 0 to 100, got '-1'"),
], ids=["kinds", "no-kind", "revisions-word", "revisions-too-many", "versions-negative"])
def test_bad_consumer_settings_are_clear_errors_before_any_aws_call(aws, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ReportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lambda_handler({"dry_run": True}, None)
    assert aws.layer.calls == {}


def test_no_consumer_kinds_reads_lambda_alone_as_before(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("web"))
    region.task_definitions = {"web": [[("web", "v1")]]}
    region.scheduled_tasks = [ScheduledTaskSpec("monthly", "web")]
    seed([region])
    result = dry_run({"consumer_kinds": "none"})
    assert candidates(result) == ["web"] and result.inventory.consumer_kinds == ()
    assert {operation for operation, _ in aws.layer.calls} <= {"DescribeRepositories", "DescribeImages",
                                                               "GetLifecyclePolicy", "GetRepositoryPolicy", "ListFunctions"}
    assert "other consumers" not in result.report
    assert ": no function uses it, its last push was" in result.report  # it claims no more than it read


def test_with_regions_narrowed_an_ecs_service_in_a_region_not_scanned_keeps_its_repository(aws, seed):
    # REGIONS=us-east-2 once named this repository a candidate although eu-west-1's ECS ran its image
    ohio = RegionSpec(OHIO, repositories=old_repositories("web", "unused"))
    ireland = RegionSpec("eu-west-1")
    ireland.task_definitions = {"web": [[("web", "v1", OHIO)]]}
    ireland.ecs_clusters = [EcsClusterSpec("eu", services=[EcsServiceSpec("web", "web:1")])]
    seed([ohio, ireland])
    result = dry_run()
    assert result.inventory.regions == (OHIO,) and "eu-west-1" in result.inventory.consumer_regions
    assert candidates(result) == ["unused"]
    assert "\t- ecs service eu/web / " in result.report


def test_with_regions_narrowed_and_the_enabled_regions_unknown_nothing_is_named_a_candidate(aws, seed):
    seed([RegionSpec(OHIO, repositories=old_repositories("unused"))])
    aws.layer.fail(operation="DescribeRegions", code="UnauthorizedOperation", message="ec2:DescribeRegions denied")
    result = dry_run()
    [error] = result.inventory.errors
    assert error.where == "EC2 " and "consumers of the regions not scanned were not read" in error.message
    assert candidates(result) == []
    assert ("Not judged, as the consumers of the regions not scanned (REGIONS) could not be read, and they may run"
            f" any region's images: {OHIO}") in result.report


def test_an_archived_image_an_ecs_service_runs_is_warned_about_not_only_a_functions(aws, seed):
    # only functions were warned of an archived image; a service's next task could not pull it either
    region = RegionSpec(OHIO, repositories={"web": [ImageSpec(["v1"], GB, 40, archived_days_ago=5)]})
    region.task_definitions = {"web": [[("web", "v1")]]}
    region.ecs_clusters = [EcsClusterSpec("prod", services=[EcsServiceSpec("web", "web:1")])]
    seed([region])
    result = dry_run({"ecs_rollback_revisions": 0})
    warning = ("ecs service prod/web runs v1, archived since {}: it cannot be pulled until it is restored,"
               " so their next task, pod or job start fails")
    [found] = result.findings.archived_in_use
    expected = warning.format(format_kst(found.image.last_archived_at))
    assert f"\t- warning : {expected}" in result.report
    assert f"• {OHIO} web: {expected}" in result.message[0]
    assert json.loads(render(result, "json"))["summary"]["archived_images_other_consumers_run"] == 1
