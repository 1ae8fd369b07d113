"""One report for several accounts: each read under its own role, images joined across accounts (issue 30)."""
from __future__ import annotations

import json

import boto3
import pytest

from devtools.simulated_account import ACCOUNT, EcsClusterSpec, EcsServiceSpec, FunctionSpec, ImageSpec, RegionSpec
from devtools.simulated_organization import create_accounts, seed_account
from ecr_usage_report import config
from ecr_usage_report.run import ReportError, run
from ecr_usage_report.setting import ConfigError
from tests.helpers import FAST_DELIVERY, handler

REGION = "ap-northeast-2"
OLD = ImageSpec(["v1"], 40_000_000, pushed_days_ago=400)


def pull_policy(*accounts: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "pull", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})


def uri(account: str, repository: str, tag: str = "v1") -> str:
    return f"{account}.dkr.ecr.{REGION}.amazonaws.com/{repository}:{tag}"


@pytest.fixture
def s3_bucket(aws) -> str:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="lab-reports")
    return "lab-reports"


@pytest.fixture
def organization(aws, kubernetes):
    """A registry account whose repositories only the workload accounts run (an ECS service in one, a
    Lambda function in the other), a truly unused repository in a workload account, and a sandbox
    account without the reader role that the registry shares a repository with."""
    ids = create_accounts(aws.endpoint_url, ["registry", "services", "functions", "sandbox"])
    registry, services, functions, sandbox = (ids[name] for name in ("registry", "services", "functions", "sandbox"))
    seed_account(aws.endpoint_url, aws.layer, registry, [RegionSpec(
        REGION, repositories={"shared/web": [OLD], "shared/api": [OLD], "shared/sandbox": [OLD]},
        repository_policies={"shared/web": pull_policy(services), "shared/api": pull_policy(functions),
                             "shared/sandbox": pull_policy(sandbox)})], kubernetes)
    seed_account(aws.endpoint_url, aws.layer, services, [RegionSpec(
        REGION, repositories={"team/scratch": [OLD]},
        task_definitions={"web": [[uri(registry, "shared/web")]]},
        ecs_clusters=[EcsClusterSpec("prod", [EcsServiceSpec("web", "web:1")])])], kubernetes)
    seed_account(aws.endpoint_url, aws.layer, functions, [RegionSpec(
        REGION, functions=[FunctionSpec("api", image=uri(registry, "shared/api"), last_run_days_ago=1),
                           FunctionSpec("old-api", image=uri(registry, "shared/removed"), last_run_days_ago=1)])],
        kubernetes)
    seed_account(aws.endpoint_url, aws.layer, sandbox, [RegionSpec(REGION)], kubernetes, reader_role=False)
    aws.layer.ec2.enabled_regions = frozenset({REGION})
    aws.layer.reset_counts()
    return ids


def test_an_organization_is_one_report_joined_across_accounts(organization):
    result = run({"dry_run": True, "accounts": "organization"}, delivery=FAST_DELIVERY)
    registry, services, sandbox = organization["registry"], organization["services"], organization["sandbox"]
    candidates = {(c.region, c.repository.name) for c in result.findings.candidates}
    assert candidates == {(f"{services} {REGION}", "team/scratch")}
    withheld = {w.repository.name: w for w in result.findings.withheld}
    assert set(withheld) == {"shared/sandbox"} and withheld["shared/sandbox"].shared.accounts == (sandbox,)
    report = result.report
    assert f"###### ACCOUNT {registry} (registry) ######" in report
    assert f"ecs service prod/web / 1 of 1 running / account {services}" in report.replace("0 of 1", "1 of 1")
    assert f"function name : api / last execution time : 2026-12-0" in report
    assert f"account {organization['functions']}" in report and "no longer in ECR" not in report
    problems = {(problem.function, problem.uri) for problem in result.findings.image_problems}
    assert problems == {("old-api", f"{registry}.dkr.ecr.{REGION}.amazonaws.com/shared/removed")}
    assert f"Account {sandbox} : AccessDenied" in report and "deploy the reader role ecr-usage-report-reader" in report
    assert "4 of 5 accounts read" in result.message[0]
    assert f"{services} {REGION} team/scratch" in result.message[0]


def test_listed_accounts_are_read_and_this_one_with_its_own_credentials(organization):
    result = run({"dry_run": True, "accounts": f"{ACCOUNT},{organization['services']}"}, delivery=FAST_DELIVERY)
    assert [account.id for account in result.inventory.accounts] == [ACCOUNT, organization["services"]]
    assert all(account.read for account in result.inventory.accounts)


def test_a_run_of_this_account_alone_names_no_account(organization):
    result = run({"dry_run": True}, delivery=FAST_DELIVERY)
    assert result.inventory.accounts == () and "ACCOUNT" not in result.report


@pytest.mark.parametrize("value, message", [
    ("12345", "ACCOUNTS must be \"organization\" or 12-digit account ids separated by commas, got '12345'"),
    ("organisation", "got 'organisation'"),
    (7, "got 7"),
])
def test_bad_accounts_are_named_before_any_aws_call(value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config.load({"accounts": value} if not isinstance(value, str) else {}, True,
                    {"EMAIL": "lab@example.com", **({"ACCOUNTS": value} if isinstance(value, str) else {})})


def test_a_role_arn_is_not_a_role_name():
    with pytest.raises(ConfigError, match="ACCOUNT_ROLE must be an IAM role's name"):
        config.load({}, True, {"EMAIL": "lab@example.com", "ACCOUNT_ROLE": "arn:aws:iam::111122223333:role/reader"})


def test_the_settings_read_the_organization_list_and_role():
    settings = config.load({"accounts": ["111122223333", " 444455556666", "111122223333"], "account_role": "r"},
                           True, {"EMAIL": "lab@example.com"})
    assert settings.accounts.listed == ("111122223333", "444455556666") and settings.accounts.role == "r"
    assert config.load({}, True, {"EMAIL": "lab@example.com", "ACCOUNTS": "Organization"}).accounts.scope == "organization"
    assert not config.load({}, True, {"EMAIL": "lab@example.com", "ACCOUNTS": " "}).accounts.several



def test_the_scale_out_s_steps_make_the_same_report_as_one_invocation(organization, s3_bucket, monkeypatch):
    monkeypatch.setenv("ACCOUNTS", "organization")
    monkeypatch.setenv("REPORT_S3_URI", f"s3://{s3_bucket}/reports/")
    listed = handler({"step": "accounts", "dry_run": True})
    assert [item["name"] for item in listed["accounts"]] == sorted(
        ["master", *organization], key=lambda name: dict(organization, master=ACCOUNT)[name])
    parts = [handler({"step": "account", "dry_run": True, "run": listed["run"], "target_account": item})
             for item in listed["accounts"]]
    errors = [part for part in parts if "error" in part]
    assert [part["account"] for part in errors] == [organization["sandbox"]]
    assert "deploy the reader role ecr-usage-report-reader" in errors[0]["error"]
    assert all(part["key"].startswith(f"reports/runs/{listed['run']}/") for part in parts if "key" in part)
    stepped = run({"step": "report", "dry_run": True, "run": listed["run"], "parts": parts}, delivery=FAST_DELIVERY)
    embedded = run({"dry_run": True}, delivery=FAST_DELIVERY)
    assert stepped.report == embedded.report.replace(embedded.report.splitlines()[2], stepped.report.splitlines()[2])
    assert stepped.message[0] == embedded.message[0]


def test_a_step_without_the_settings_it_needs_is_named(aws):
    with pytest.raises(ConfigError, match="The scale-out's steps need ACCOUNTS"):
        config.load({"step": "accounts"}, True, {"EMAIL": "lab@example.com"})
    with pytest.raises(ConfigError, match='event key "run" must be the run'):
        config.load({"step": "report", "run": "../x", "accounts": "organization"}, True,
                    {"EMAIL": "lab@example.com", "REPORT_S3_URI": "s3://bucket/reports/"})


def test_an_account_outside_any_organization_is_told_what_to_do(aws, slack):
    with pytest.raises(ReportError) as raised:
        handler({"accounts": "organization"})
    assert "AWSOrganizationsNotInUseException" in str(raised.value)
    assert "run the report in the organization's management account or a delegated administrator" in str(raised.value)
    assert any("set ACCOUNTS to account ids" in text for text in slack.texts())


def test_the_report_step_answers_step_functions_its_first_errors_only():
    from ecr_usage_report.handler import STEP_ERRORS_RETURNED, step_answer

    summary = {"repositories": 3, "errors": [f"ECR 1111 r/x{n}: AccessDenied" for n in range(STEP_ERRORS_RETURNED + 7)]}
    answered = step_answer(summary)
    assert answered["errors"][-1] == "and 7 more, listed in the report"
    assert len(answered["errors"]) == STEP_ERRORS_RETURNED + 1 and answered["repositories"] == 3
    assert step_answer({"errors": ["one"]}) == {"errors": ["one"]}


def test_accounts_the_invocation_had_no_time_for_are_named_and_not_counted_read(organization):
    from ecr_usage_report.aws.accounts import AccountSettings
    from ecr_usage_report.aws.clients import ClientFactory
    from ecr_usage_report.aws.scheduler import region_scheduler
    from ecr_usage_report.inventory.accounts import collect_accounts

    with region_scheduler(4, deadline=0.0) as scheduler:  # already past
        inventory = collect_accounts(ClientFactory(workers=4), scheduler, None, AccountSettings("organization"))
    assert not any(account.read for account in inventory.accounts) and len(inventory.accounts) == 5
    assert all("time ran out" in error.message for error in inventory.errors)
    assert {error.region for error in inventory.errors} == {account.id for account in inventory.accounts}


def test_the_export_carries_the_account_on_every_repository_image_function_and_consumer(organization):
    from ecr_usage_report.report.export import export_document

    result = run({"dry_run": True, "accounts": "organization"}, delivery=FAST_DELIVERY)
    document = export_document(result.inventory, result.findings, "lab@example.com")
    registry, services = organization["registry"], organization["services"]
    assert {(r["account"], r["region"], r["name"]) for r in document["repositories"]} == {
        (registry, f"{registry} {REGION}", name) for name in ("shared/web", "shared/api", "shared/sandbox")} | {
        (services, f"{services} {REGION}", "team/scratch")}
    assert all(image["account"] == r["account"] for r in document["repositories"] for image in r["images"])
    assert {(c["kind"], c["account"]) for c in document["consumers"]} == {("ecs service", services)}
    assert {(f["name"], f["account"]) for f in document["functions"]} == {
        ("api", organization["functions"]), ("old-api", organization["functions"])}
    assert [c["account"] for c in document["deletion_candidates"]] == [services]
    assert {a["id"]: a["read"] for a in document["accounts"]}[organization["sandbox"]] is False
    assert document["organization"].startswith("o-")


def test_a_one_account_export_has_no_account_fields(organization):
    from ecr_usage_report.report.export import export_document

    result = run({"dry_run": True}, delivery=FAST_DELIVERY)
    document = export_document(result.inventory, result.findings, "lab@example.com")
    assert "accounts" not in document and "organization" not in document
    assert all("account" not in record for key in ("repositories", "functions", "consumers")
               for record in document[key])
