"""template.yaml and organization/reader-role.yaml: valid for CloudFormation, and their IAM policies are
exactly what the code calls; statemachine/report.asl.json wired as the function's steps expect."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import botocore.session
import boto3
import pytest
import yaml
from botocore import xform_name

import lambda_function
from devtools.fake_slack import BOT_TOKEN
from devtools.simulated_account import RegionSpec, demo_account
from devtools.simulated_organization import create_accounts, seed_account
from ecr_usage_report.aws.shared_models import CALLED_OPERATIONS
from ecr_usage_report.inventory.consumers import DECLARED
from tests.helpers import post_as_bot

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
READER_TEMPLATE = ROOT / "organization" / "reader-role.yaml"
STATE_MACHINE = "ReportStateMachine"
LAMBDA_TRANSIENT_ERRORS = {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.SdkClientException"}
# what only the report's own account is asked for: never by the reader role in another account
OWN_ACCOUNT_ACTIONS = {"sts:AssumeRole", "sts:GetCallerIdentity", "organizations:ListAccounts",
                       "secretsmanager:GetSecretValue", "ssm:GetParameter",
                       "s3:GetObject", "s3:PutObject", "s3:ListBucket"}
PRODUCT_MODULES = sorted([*ROOT.glob("*.py"), *(ROOT / "ecr_usage_report").rglob("*.py")])
CLIENT_FACTORIES = {"get", "client"}  # clients.get("ecr", region), session.client("ecr"), clients.get(SERVICE, ...)
SERVICE_KEYWORD = "service"  # a reader declared with service="ecr" reads through that service's clients
PAGINATOR_METHODS = {"get_paginator", "can_paginate", "get_waiter"}  # their first argument names the operation
FUNCTION = "ReportFunction"
SEOUL = "ap-northeast-2"
READ_ACTIONS_OF_OTHER_VERBS = {"BatchGetImage", "BatchGetProjects"}  # IAM's access level for both is Read


class CfnLoader(yaml.SafeLoader):
    """PyYAML's safe loader that also reads CloudFormation's short tags (!Ref, !Sub, !GetAtt...)."""


def short_tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    """!Ref x -> {"Ref": x}; !GetAtt a.b -> {"Fn::GetAtt": [a, b]}; !Sub s -> {"Fn::Sub": s}."""
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", short_tag)


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    """template.yaml as plain data."""
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


@lru_cache(maxsize=1)
def reader_template() -> dict[str, Any]:
    """organization/reader-role.yaml as plain data."""
    return yaml.load(READER_TEMPLATE.read_text(), Loader=CfnLoader)


def state_machine_definition(substitutions: dict[str, str]) -> dict[str, Any]:
    """The state machine's definition file with its placeholders replaced as CloudFormation does (as text)."""
    properties = template()["Resources"][STATE_MACHINE]["Properties"]
    text = (ROOT / properties["DefinitionUri"]).read_text()
    for name, value in substitutions.items():
        text = text.replace(f"${{{name}}}", value)
    return json.loads(text)


def function_properties() -> dict[str, Any]:
    """Properties of the report function."""
    return template()["Resources"][FUNCTION]["Properties"]


def inline_statements() -> list[dict[str, Any]]:
    """Statements of the function's inline policy documents (a conditional one as it is when present)."""
    return [statement["Fn::If"][1] if "Fn::If" in statement else statement
            for policy in function_properties()["Policies"] if isinstance(policy, dict)
            for statement in policy["Statement"]]


def evaluate(node: Any, parameters: dict[str, str]) -> Any:
    """A template expression's value for the given parameters (Ref, the condition functions, Fn::If)."""
    if isinstance(node, list):
        return [evaluate(item, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1 or not next(iter(node)).startswith(("Ref", "Fn::", "Condition")):
        return {key: evaluate(value, parameters) for key, value in node.items()}
    [(name, value)] = node.items()
    if name == "Ref":
        if value not in template()["Parameters"]:
            return node  # a resource's or a pseudo parameter's: known only once deployed
        return parameters.get(value, template()["Parameters"][value].get("Default", ""))
    if name == "Condition":
        return evaluate(template()["Conditions"][value], parameters)
    if name == "Fn::If":
        condition, then, otherwise = value
        return evaluate(then if evaluate({"Condition": condition}, parameters) else otherwise, parameters)
    operands = evaluate(value, parameters)
    operators = {"Fn::Equals": lambda a, b: a == b, "Fn::Not": lambda a: not a, "Fn::Or": lambda *a: any(a),
                 "Fn::And": lambda *a: all(a), "Fn::Contains": lambda among, value: value in among}
    return operators[name](*operands) if name in operators else node


def deploy(parameters: dict[str, str]) -> tuple[list[str], dict[str, Any]]:
    """What a deploy with these parameters gets: the rules' refusals, and the function's environment."""
    refusals = [assertion["AssertDescription"] for rule in template()["Rules"].values()
                if evaluate(rule.get("RuleCondition", True), parameters)
                for assertion in rule["Assertions"] if not evaluate(assertion["Assert"], parameters)]
    return refusals, evaluate(function_properties()["Environment"]["Variables"], parameters)


def export_statements() -> list[dict[str, Any]]:
    """Statements of the optional policy that lets the function write its JSON export to S3."""
    return template()["Resources"]["ReportExportPolicy"]["Properties"]["PolicyDocument"]["Statement"]


def policy_actions() -> set[str]:
    """Every IAM action the function's policies allow."""
    actions: set[str] = set()
    for statement in inline_statements() + export_statements():
        action = statement["Action"]
        actions.update([action] if isinstance(action, str) else action)
    return actions


@cache
def service_model(service: str) -> Any:
    """botocore's model of a service."""
    return botocore.session.get_session().get_service_model(service)


def operations_by_method(service: str) -> dict[str, str]:
    """A client's method names (describe_images) -> API operation names (DescribeImages)."""
    return {xform_name(operation): operation for operation in service_model(service).operation_names}


# API operations whose IAM action has another name (the service authorization reference's tables)
ACTION_OF_OPERATION = {"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket"}


def iam_action(service: str, operation: str) -> str:
    """The IAM action of an API operation, e.g. ecr:DescribeImages (s3:ListBucket for ListObjectsV2)."""
    model = service_model(service)
    return f"{model.signing_name or model.endpoint_prefix}:{ACTION_OF_OPERATION.get(operation, operation)}"


def module_calls(path: Path) -> tuple[set[str], set[str]]:
    """(services the module builds clients for or declares a reader of, method and paginator names it calls)."""
    known_services = set(botocore.session.get_session().get_available_services())
    tree = ast.parse(path.read_text(), filename=str(path))
    constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                 for target in node.targets if isinstance(target, ast.Name)}

    def text(node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return constants.get(node.id) if isinstance(node, ast.Name) else None

    services, methods = set(), set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        services.update(text(keyword.value) for keyword in node.keywords
                        if keyword.arg == SERVICE_KEYWORD and text(keyword.value) in known_services)
        if not isinstance(node.func, ast.Attribute):
            continue
        name, first = node.func.attr, text(node.args[0]) if node.args else None
        if name in CLIENT_FACTORIES and first in known_services:
            services.add(first)
        elif name in PAGINATOR_METHODS and first:
            methods.add(first)
        else:
            methods.add(name)
    return services, methods


def actions_in_code(paths: list[Path] = PRODUCT_MODULES) -> set[str]:
    """IAM actions of the AWS calls found in the modules' source.

    A call is matched to the services whose clients its own module builds (or whose reader it
    declares); a call naming an operation of another service the modules use (so its service
    cannot be told) fails the test.
    """
    scanned = {str(path.relative_to(path.parents[1])): module_calls(path) for path in paths}  # names repeat
    all_services = set().union(*(services for services, _ in scanned.values()))
    actions, unresolved = set(), []
    for module, (services, methods) in scanned.items():
        for method in methods:
            local = [service for service in services if method in operations_by_method(service)]
            actions.update(iam_action(service, operations_by_method(service)[method]) for service in local)
            elsewhere = [service for service in all_services - services if method in operations_by_method(service)]
            if not local and elsewhere:
                unresolved.append(f"{module}: .{method}() of {'/'.join(sorted(elsewhere))}")
    assert not unresolved, f"AWS calls whose client is built in another module: {unresolved}"
    return actions


def differences(wanted: set[str], granted: set[str]) -> str:
    """What a failing policy comparison should say."""
    return (f"called without a permission in template.yaml: {sorted(wanted - granted)}; "
            f"permitted but never called: {sorted(granted - wanted)}")


@pytest.mark.slow
@pytest.mark.parametrize("path", [TEMPLATE, READER_TEMPLATE], ids=lambda path: path.name)
def test_cfn_lint_passes(path):
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    assert cfn_lint.exists(), "cfn-lint is not installed: pip install -r requirements-dev.txt"
    result = subprocess.run([str(cfn_lint), str(path)], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


SCANNED_EXAMPLE = """
def inventory(clients, region):
    ecr = clients.get("ecr", region)
    pages = ecr.get_paginator("describe_images").paginate(repositoryName="x")
    answer = clients.get("logs", region).describe_log_streams(logGroupName="/aws/lambda/x")
    return [page.get("imageDetails", []) for page in pages], answer.get("logStreams", [])
"""


def test_source_scan_names_the_iam_action_of_each_call(tmp_path):
    module = tmp_path / "example.py"
    module.write_text(SCANNED_EXAMPLE)
    assert actions_in_code([module]) == {"ecr:DescribeImages", "logs:DescribeLogStreams"}


def test_source_scan_refuses_a_call_it_cannot_place(tmp_path):
    (tmp_path / "builds.py").write_text('def lam(clients):\n    return clients.get("lambda", "us-east-1")\n')
    (tmp_path / "calls.py").write_text("def run(client):\n    return client.list_functions()\n")
    with pytest.raises(AssertionError, match=r"calls.py: .list_functions\(\) of lambda"):
        actions_in_code(sorted(tmp_path.glob("*.py")))


def test_policy_allows_exactly_the_calls_in_the_source():
    wanted, granted = actions_in_code(), policy_actions()
    assert wanted == granted, differences(wanted, granted)


def test_the_services_whose_models_are_cut_keep_every_operation_the_source_calls():
    called = actions_in_code()
    for service, kept in CALLED_OPERATIONS.items():
        assert {iam_action(service, operation) for operation in kept} == {
            action for action in called if action.startswith(f"{service}:")}, service


def test_policy_allows_exactly_the_calls_a_run_makes(aws, seed, slack, monkeypatch):
    # Three runs: through a webhook kept in Secrets Manager, then as a bot whose token is an SSM
    # parameter, then of the organization (this account and a member through its reader role); all keep
    # the JSON export, beside an earlier one they compare with.
    seed(demo_account())  # seeding's own calls are not counted; no REGIONS, so the run lists regions too
    member = create_accounts(aws.endpoint_url, ["workload"])["workload"]
    seed_account(aws.endpoint_url, aws.layer, member, [RegionSpec(SEOUL)])
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="lab-reports")
    s3.put_object(Bucket="lab-reports", Key="ecr/ecr-usage-report-20261101T000000Z.json",
                  Body=json.dumps(EARLIER_EXPORT).encode())
    webhook = boto3.client("secretsmanager", region_name="ap-northeast-2").create_secret(
        Name="ecr-usage-report-webhook", SecretString=slack.url)["ARN"]
    boto3.client("ssm", region_name="ap-northeast-2").put_parameter(
        Name="/ecr-usage-report/slack-bot-token", Value=BOT_TOKEN, Type="SecureString")
    token = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ecr-usage-report/slack-bot-token"
    aws.layer.reset_counts()
    monkeypatch.setenv("REPORT_S3_URI", "s3://lab-reports/ecr/")
    monkeypatch.setenv("SLACK_DDPS", webhook)
    called = set()
    for bot in (False, True):
        if bot:
            post_as_bot(monkeypatch, slack, token)
        result = lambda_function.lambda_handler({}, None)
        assert result["repositories"] == 6 and result["errors"] == [] and result["messages_sent"] == 2
        called |= {ACTION_OF_OPERATION.get(operation, operation) for operation, _region in aws.layer.calls}
    monkeypatch.setenv("ACCOUNTS", "organization")
    monkeypatch.setenv("REGIONS", SEOUL)  # every region was listed above; one is enough to open each account
    result = lambda_function.lambda_handler({}, None)
    assert result["errors"] == [] and result["messages_sent"] == 2
    called |= {ACTION_OF_OPERATION.get(operation, operation) for operation, _region in aws.layer.calls}
    granted = {action.split(":", 1)[1]: action for action in policy_actions()}
    assert called == set(granted), differences(called, set(granted))
    for operation, action in granted.items():
        service = action.split(":", 1)[0]
        api = {action: operation for operation, action in ACTION_OF_OPERATION.items()}.get(operation, operation)
        assert api in service_model(service).operation_names, f"{action}: {service} has no {api}"


EARLIER_EXPORT = {"schema_version": 1, "generated_at": "2026-11-01T00:00:00+00:00",
                  "summary": {"total_size_bytes": 0, "estimated_monthly_cost_usd": 0.0},
                  "repositories": [], "deletion_candidates": []}


def test_schedule_runs_monthly_and_a_failed_run_is_not_retried():
    parameters = template()["Parameters"]
    properties = function_properties()
    assert parameters["ScheduleExpression"]["Default"] == "cron(0 0 1 * ? *)"  # 1st, 09:00 KST
    schedules = [event["Properties"] for event in properties["Events"].values() if event["Type"] == "Schedule"]
    assert schedules == [{"Schedule": {"Ref": "ScheduleExpression"}, "State": {"Fn::If": ["ScalesOut", "DISABLED", "ENABLED"]},
                          "Description": "Run the ECR usage report"}]
    assert properties["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


def test_the_webhook_is_kept_in_a_secret_and_the_environment_holds_only_its_arn():
    parameters, resources = template()["Parameters"], template()["Resources"]
    assert parameters["SlackWebhookUrl"]["NoEcho"] is True
    assert resources["SlackWebhookSecret"]["Properties"]["SecretString"] == {"Ref": "SlackWebhookUrl"}
    refusals, variables = deploy({"SlackWebhookUrl": "https://hooks.slack.com/services/T/B/x"})
    assert refusals == [] and variables["SLACK_DDPS"] == {"Ref": "SlackWebhookSecret"}  # a secret's Ref is its ARN
    assert [s["Resource"] for s in inline_statements() if "secretsmanager:GetSecretValue" in s["Action"]] == [
        {"Ref": "SlackWebhookSecret"}]
    assert "SlackWebhookUrl" not in json.dumps(function_properties()["Environment"]["Variables"])


@pytest.mark.parametrize("webhook", ["", "none"], ids=["left-empty", "none-as-sam-guided-asks-for-a-value"])
def test_a_bot_only_deploy_needs_no_webhook_and_creates_no_secret(webhook):
    bot = {"SlackWebhookUrl": webhook, "SlackBotTokenParameter": "/ecr-usage-report/slack-bot-token",
           "SlackChannel": "C0123ABCD"}
    refusals, variables = deploy(bot)
    assert refusals == [] and variables["SLACK_DDPS"] == "" and variables["SLACK_CHANNEL"] == "C0123ABCD"
    assert evaluate({"Condition": template()["Resources"]["SlackWebhookSecret"]["Condition"]}, bot) is False
    [conditional] = [statement["Fn::If"] for policy in function_properties()["Policies"] if isinstance(policy, dict)
                     for statement in policy["Statement"] if "Fn::If" in statement]
    assert conditional[0] == "HasWebhook" and conditional[2] == {"Ref": "AWS::NoValue"}  # no grant on a missing secret


@pytest.mark.parametrize("parameters, refused", [
    pytest.param({}, "Give SlackWebhookUrl", id="neither-webhook-nor-bot"),
    pytest.param({"SlackBotTokenParameter": "/ecr-usage-report/t"}, "needs the channel", id="bot-without-channel"),
])
def test_a_deploy_with_nowhere_to_post_is_refused_before_anything_is_created(parameters, refused):
    refusals, _ = deploy(parameters)
    assert len(refusals) == 1 and refused in refusals[0]


def test_configuration_reaches_the_env():
    parameters = template()["Parameters"]
    assert function_properties()["Environment"]["Variables"] == {
        "EMAIL": {"Ref": "ReportEmail"}, "REGIONS": {"Ref": "Regions"},
        "SLACK_DDPS": {"Fn::If": ["HasWebhook", {"Ref": "SlackWebhookSecret"}, ""]},
        "SLACK_BOT_TOKEN": {"Fn::If": ["PostsAsBot", {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:"
                                                                 "${AWS::AccountId}:parameter${SlackBotTokenParameter}"}, ""]},
        "SLACK_CHANNEL": {"Ref": "SlackChannel"}, "SLACK_MESSAGES": {"Ref": "SlackMessages"},
        "REPORT_S3_URI": {"Fn::If": ["HasReportS3Bucket", {"Fn::Sub": "s3://${ReportS3Bucket}/${ReportS3Prefix}"}, ""]},
        "ACCOUNTS": {"Ref": "Accounts"}, "ACCOUNT_ROLE": {"Ref": "AccountRole"},
    }
    assert parameters["Regions"]["Default"] == ""  # every enabled region
    assert (parameters["Accounts"]["Default"], parameters["AccountRole"]["Default"]) == ("", "ecr-usage-report-reader")


def test_function_runs_the_packaged_handler():
    properties = function_properties()
    module, handler = properties["Handler"].split(".")
    assert getattr(lambda_function, handler) and (ROOT / f"{module}.py").exists()
    package_script = (ROOT / "tools" / "package.py").read_text()
    assert properties["Runtime"] == "python3.12" and 'LAMBDA_PYTHON = "3.12"' in package_script
    # `sam build` builds it (no Docker): the Makefile's target for the function fills SAM's folder
    assert template()["Resources"][FUNCTION]["Metadata"] == {"BuildMethod": "makefile"}
    assert properties["CodeUri"] == "." and f"build-{FUNCTION}:" in (ROOT / "Makefile").read_text()
    assert (properties["Timeout"], properties["MemorySize"]) == (300, 1769)


@pytest.mark.parametrize("statement", [s for s in inline_statements() if s["Sid"] != "AssumeReaderRole"],
                         ids=lambda statement: statement.get("Sid", "statement"))
def test_inline_policy_only_reads(statement):
    assert statement["Effect"] == "Allow"
    assert (statement["Resource"] == "*") is (statement["Sid"] in ("ReadInventory", "ReadConsumers", "ReadAccounts"))
    verbs = {action.split(":", 1)[1].split("*")[0] for action in statement["Action"]}
    assert all(verb.startswith(("Describe", "List", "Get")) or verb in READ_ACTIONS_OF_OTHER_VERBS
               for verb in verbs), verbs


def test_function_keeps_its_own_logs_and_names_them():
    resources, outputs = template()["Resources"], template()["Outputs"]
    assert "AWSLambdaBasicExecutionRole" in function_properties()["Policies"]
    log_group = resources["ReportLogGroup"]["Properties"]
    assert log_group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{FUNCTION}}}"}
    assert log_group["RetentionInDays"] == 90
    assert outputs["FunctionName"]["Value"] == {"Ref": FUNCTION}
    assert outputs["LogGroupName"]["Value"] == {"Ref": "ReportLogGroup"}


def test_export_policy_writes_only_under_its_prefix_and_only_when_asked():
    resource = template()["Resources"]["ReportExportPolicy"]
    assert resource["Condition"] == "HasReportS3Bucket"
    objects, listing = export_statements()
    assert objects["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert objects["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ReportS3Bucket}/${ReportS3Prefix}*"}
    assert listing["Action"] == ["s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": {"Fn::Sub": "${ReportS3Prefix}*"}}}


def test_the_reports_role_is_kept_off_pull_times_in_its_region_unless_asked_not_to():
    parameter = template()["Parameters"]["ExcludeFromPullTimes"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("true", ["true", "false"])
    assert template()["Conditions"]["ExcludesFromPullTimes"] == {"Fn::Equals": [{"Ref": "ExcludeFromPullTimes"}, "true"]}
    exclusion = template()["Resources"]["ReportPullTimeExclusion"]
    assert exclusion["Type"] == "AWS::ECR::PullTimeUpdateExclusion" and exclusion["Condition"] == "ExcludesFromPullTimes"
    assert exclusion["Properties"] == {"PrincipalArn": {"Fn::GetAtt": [f"{FUNCTION}Role", "Arn"]}}
    assert not any("PullTimeUpdateExclusion" in action for action in policy_actions())  # the function only reads


def test_the_consumers_statement_allows_exactly_what_the_declared_kinds_need():
    declared = {action for kind in DECLARED for action in kind.actions}
    statement = next(statement for statement in inline_statements() if statement["Sid"] == "ReadConsumers")
    assert set(statement["Action"]) == declared, differences(declared, set(statement["Action"]))


def test_the_function_assumes_only_the_reader_role_it_is_told():
    [statement] = [statement for statement in inline_statements() if statement["Sid"] == "AssumeReaderRole"]
    assert statement["Action"] == ["sts:AssumeRole"]
    assert statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${AccountRole}"}
    assert template()["Outputs"]["FunctionRoleArn"]["Value"] == {"Fn::GetAtt": [f"{FUNCTION}Role", "Arn"]}


@pytest.mark.parametrize("accounts, accepted", [
    ("", True), ("organization", True), ("111122223333,444455556666", True), ("111122223333, 444455556666", True),
    ("12345", False), ("organisation", False), ("arn:aws:iam::111122223333:root", False),
], ids=lambda value: repr(value) if isinstance(value, str) else str(value))
def test_the_accounts_parameter_takes_what_accounts_takes(accounts, accepted):
    assert bool(re.fullmatch(template()["Parameters"]["Accounts"]["AllowedPattern"], accounts)) is accepted


def schedule_states(parameters: dict[str, str]) -> dict[str, str]:
    """Which resources a deploy with these parameters schedules: the function's and the state machine's."""
    resources = template()["Resources"]
    states = {FUNCTION: evaluate(function_properties()["Events"]["Monthly"]["Properties"]["State"], parameters)}
    machine = resources[STATE_MACHINE]
    if evaluate({"Condition": machine["Condition"]}, parameters):
        [event] = machine["Properties"]["Events"].values()
        states[STATE_MACHINE] = event["Properties"].get("State", "ENABLED")
    return states


@pytest.mark.parametrize("scale_out, runs", [("false", FUNCTION), ("true", STATE_MACHINE)])
def test_exactly_one_schedule_runs_the_report(scale_out, runs):
    parameters = {"ScaleOut": scale_out, "ReportS3Bucket": "lab-reports"}
    assert template()["Parameters"]["ScaleOut"]["Default"] == "false"
    enabled = [resource for resource, state in schedule_states(parameters).items() if state == "ENABLED"]
    assert enabled == [runs]
    [event] = template()["Resources"][STATE_MACHINE]["Properties"]["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == {"Ref": "ScheduleExpression"}


def test_scale_out_is_refused_without_the_bucket_its_steps_share():
    webhook = {"SlackWebhookUrl": "https://hooks.slack.com/services/T/B/x"}
    refusals, _ = deploy({**webhook, "ScaleOut": "true"})
    assert len(refusals) == 1 and refusals[0].startswith("ScaleOut needs ReportS3Bucket")
    assert deploy({**webhook, "ScaleOut": "true", "ReportS3Bucket": "lab-reports"})[0] == []
    assert deploy({**webhook, "ScaleOut": "false"})[0] == []


FUNCTION_ARN = "arn:aws:lambda:ap-northeast-2:123456789012:function:ecr-usage-report"


def test_the_state_machine_lists_reads_each_account_then_reports():
    machine = template()["Resources"][STATE_MACHINE]
    assert machine["Type"] == "AWS::Serverless::StateMachine" and machine["Properties"]["Type"] == "STANDARD"
    assert machine["Properties"]["DefinitionSubstitutions"] == {
        "ReportFunctionArn": {"Fn::GetAtt": [FUNCTION, "Arn"]}, "MaxConcurrency": {"Ref": "MaxConcurrency"}}
    definition = state_machine_definition({"ReportFunctionArn": FUNCTION_ARN, "MaxConcurrency": "7"})
    states = definition["States"]
    assert definition["StartAt"] == "ListAccounts" and set(states) == {"ListAccounts", "ReadAccounts", "Report"}
    listing, reading, report = states["ListAccounts"], states["ReadAccounts"], states["Report"]
    assert (listing["Type"], listing["Resource"], listing["Parameters"], listing["Next"]) == (
        "Task", FUNCTION_ARN, {"step": "accounts"}, "ReadAccounts")  # a plain ARN: the result is the function's own
    assert reading["Type"] == "Map" and reading["MaxConcurrency"] == 7  # a number, as Step Functions demands
    assert reading["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert (reading["ItemsPath"], reading["ResultPath"], reading["Next"]) == ("$.accounts", "$.parts", "Report")
    assert reading["ItemSelector"] == {"step": "account", "run.$": "$.run", "target_account.$": "$$.Map.Item.Value"}
    inner, failed = (reading["ItemProcessor"]["States"][name] for name in ("ReadAccount", "AccountFailed"))
    assert reading["ItemProcessor"]["StartAt"] == "ReadAccount"
    assert (inner["Type"], inner["Resource"], inner["End"]) == ("Task", FUNCTION_ARN, True)
    # a step that fails outside Python (memory, timeout) still answers a part, which the report names
    assert inner["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "AccountFailed"}]
    assert (failed["Type"], failed["End"], set(failed["Parameters"])) == (
        "Pass", True, {"account.$", "name.$", "organization.$", "error.$"})
    assert (report["Type"], report["Resource"], report["End"]) == ("Task", FUNCTION_ARN, True)
    assert report["Parameters"] == {"step": "report", "run.$": "$.run", "parts.$": "$.parts"}
    text = json.dumps(definition)
    assert "ItemBatcher" not in text and "ToleratedFailure" not in text  # the simulated Step Functions refuses both


@pytest.mark.parametrize("state", ["ListAccounts", "ReadAccount", "Report"])
def test_each_step_retries_lambdas_transient_errors_with_backoff(state):
    states = state_machine_definition({"ReportFunctionArn": FUNCTION_ARN, "MaxConcurrency": "10"})["States"]
    task = states[state] if state in states else states["ReadAccounts"]["ItemProcessor"]["States"][state]
    [retry] = task["Retry"]
    assert set(retry["ErrorEquals"]) == LAMBDA_TRANSIENT_ERRORS and retry["BackoffRate"] > 1 and retry["MaxAttempts"] > 1


def test_the_state_machine_may_invoke_only_the_function_and_run_its_own_map():
    properties = template()["Resources"][STATE_MACHINE]["Properties"]
    [policy] = properties["Policies"]
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    name = properties["Name"]["Fn::Sub"]
    assert name == "${AWS::StackName}-report"  # its own name, known before it exists
    assert statements["InvokeReport"]["Action"] == ["lambda:InvokeFunction"]
    assert statements["InvokeReport"]["Resource"] == {"Fn::GetAtt": [FUNCTION, "Arn"]}
    own = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    assert statements["StartAccountReads"] == {"Sid": "StartAccountReads", "Effect": "Allow",
                                               "Action": ["states:StartExecution"],
                                               "Resource": {"Fn::Sub": f"{own}:stateMachine:{name}"}}
    assert statements["FollowAccountReads"]["Action"] == ["states:DescribeExecution", "states:StopExecution"]
    assert statements["FollowAccountReads"]["Resource"] == {"Fn::Sub": f"{own}:execution:{name}/*"}
    assert set(statements) == {"InvokeReport", "StartAccountReads", "FollowAccountReads"}


def reader_statements() -> list[dict[str, Any]]:
    """Statements of the reader role's permissions."""
    [policy] = reader_template()["Resources"]["ReaderRole"]["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


def test_the_reader_role_allows_exactly_what_the_readers_call_in_another_account():
    wanted = actions_in_code() - OWN_ACCOUNT_ACTIONS
    granted = {action for statement in reader_statements() for action in statement["Action"]}
    assert wanted == granted, differences(wanted, granted).replace("template.yaml", "organization/reader-role.yaml")
    assert OWN_ACCOUNT_ACTIONS <= policy_actions()  # each named exception is one the function itself holds
    assert all(statement["Effect"] == "Allow" and statement["Resource"] == "*" for statement in reader_statements())


def test_the_reader_role_reads_what_the_function_reads_in_its_own_account():
    own = {statement["Sid"]: set(statement["Action"]) for statement in inline_statements()}
    reader = {statement["Sid"]: set(statement["Action"]) for statement in reader_statements()}
    assert reader == {sid: own[sid] for sid in ("ReadInventory", "ReadConsumers")}


def test_the_reader_role_trusts_only_the_reports_role_inside_the_organization():
    parameters = reader_template()["Parameters"]
    assert set(parameters) == {"ReportRoleArn", "OrganizationId", "RoleName"}
    assert parameters["RoleName"]["Default"] == template()["Parameters"]["AccountRole"]["Default"]
    role = reader_template()["Resources"]["ReaderRole"]["Properties"]
    assert role["RoleName"] == {"Ref": "RoleName"}
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {"Sid": "TrustTheReportOnly", "Effect": "Allow", "Principal": {"AWS": {"Ref": "ReportRoleArn"}},
                     "Action": "sts:AssumeRole",
                     "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}}
