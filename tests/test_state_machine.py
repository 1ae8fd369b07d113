"""The scale-out run by the simulated Step Functions: each state invokes the real handler (issue 30)."""
from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

import lambda_function
from devtools.simulated_account import ACCOUNT
from ecr_usage_report.run import run
from tests.helpers import FAST_DELIVERY
from tests.test_organization import REGION, organization, s3_bucket  # noqa: F401 (fixtures)

FUNCTION = "ecr-usage-report"
DEFINITION = Path(__file__).resolve().parent.parent / "statemachine" / "report.asl.json"


def moto_config(endpoint_url: str, execute: bool) -> None:
    """Turn moto's real execution of state machines on or off."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/config", method="POST",
                                     data=json.dumps({"stepfunctions": {"execute_state_machine": execute}}).encode())
    urllib.request.urlopen(request).read()


@pytest.fixture
def step_functions(aws, monkeypatch):
    """Step Functions that runs what it is given; its Lambda tasks reach the layer, which runs the handler."""
    moto_config(aws.endpoint_url, True)
    monkeypatch.setenv("MOTO_PORT", aws.endpoint_url.rsplit(":", 1)[1])
    aws.layer.functions.runners[FUNCTION] = lambda_function.lambda_handler
    yield boto3.client("stepfunctions", region_name=REGION)
    moto_config(aws.endpoint_url, False)


def definition(max_concurrency: int = 4) -> str:
    text = DEFINITION.read_text()
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"
    return text.replace("${ReportFunctionArn}", arn).replace("${MaxConcurrency}", str(max_concurrency))


def run_machine(step_functions) -> dict:
    """Create the state machine, run it once, and wait for it to end."""
    machine = step_functions.create_state_machine(
        name="ecr-usage-report", definition=definition(),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/ecr-usage-report-states")["stateMachineArn"]
    execution = step_functions.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    for _ in range(1800):  # at most three minutes, on a busy machine
        described = step_functions.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    return described


def test_an_account_whose_step_fails_is_named_and_the_report_goes_out(organization, s3_bucket, step_functions,
                                                                     aws, slack, monkeypatch):
    monkeypatch.setenv("ACCOUNTS", "organization")
    monkeypatch.setenv("REPORT_S3_URI", f"s3://{s3_bucket}/reports/")

    def out_of_memory_for_services(event, context):
        if event.get("step") == "account" and event["target_account"]["name"] == "services":
            raise MemoryError("Runtime exited with error: signal: killed")
        return lambda_function.lambda_handler(event, context)

    aws.layer.functions.runners[FUNCTION] = out_of_memory_for_services
    described = run_machine(step_functions)
    assert described["status"] == "SUCCEEDED", described
    posted = [text for text in slack.texts() if "ECR usage report ·" in text]
    assert len(posted) == 1 and "3 of 5 accounts read" in posted[0]
    assert f"{organization['services']} (services)" in posted[0]
    details = "\n".join(slack.texts())
    assert f"- Account {organization['services']} : its step failed: MemoryError" in details
    assert "shared/web" not in posted[0].split("*Deletion candidates")[1].split("*Warnings")[0]


def test_the_state_machine_posts_the_report_one_invocation_would(organization, s3_bucket, step_functions, slack,
                                                                 monkeypatch):
    monkeypatch.setenv("ACCOUNTS", "organization")
    monkeypatch.setenv("REPORT_S3_URI", f"s3://{s3_bucket}/reports/")
    described = run_machine(step_functions)
    assert described["status"] == "SUCCEEDED", described
    posted = [text for text in slack.texts() if "ECR usage report ·" in text]
    assert len(posted) == 1
    embedded = run({"dry_run": True}, delivery=FAST_DELIVERY)  # compared with the export the state machine wrote
    since = 2  # the summary's section on the last report, which the embedded run has and the first run had not

    def sections(text: str) -> list[str]:
        return [part for number, part in enumerate(text.split("\n\n")[1:], 1) if number != since]
    assert sections(posted[0])[:-1] == sections(embedded.message[0])[:-1]  # the last says where the details go
    assert f"team/scratch" in sections(posted[0])[2] and "4 of 5 accounts read" in sections(posted[0])[0]
