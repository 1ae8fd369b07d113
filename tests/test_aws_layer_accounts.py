"""The simulated AWS across accounts: AssumeRole refused as AWS refuses it, images resolved in their own registry."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec
from devtools.simulated_organization import client, create_accounts, credentials_of, seed_account

REGION = "ap-northeast-2"


def test_assume_role_is_refused_like_aws_for_a_missing_role_or_an_untrusted_caller(aws):
    member = create_accounts(aws.endpoint_url, ["member"])["member"]
    sts = boto3.client("sts", region_name="us-east-1")
    with pytest.raises(ClientError) as missing:
        sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/nobody", RoleSessionName="reader")
    assert missing.value.response["Error"]["Code"] == "AccessDenied"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]}
    client(aws.endpoint_url, "iam", credentials_of(aws.endpoint_url, member)).create_role(
        RoleName="elsewhere", AssumeRolePolicyDocument=json.dumps(trust))
    with pytest.raises(ClientError, match="AccessDenied"):
        sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/elsewhere", RoleSessionName="reader")
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                             RoleSessionName="reader")
    assert client(aws.endpoint_url, "sts", (answer["Credentials"]["AccessKeyId"],
                                            answer["Credentials"]["SecretAccessKey"],
                                            answer["Credentials"]["SessionToken"])).get_caller_identity()["Account"] == member


def test_a_function_running_another_account_s_image_resolves_its_digest_in_that_registry(aws):
    ids = create_accounts(aws.endpoint_url, ["registry", "workload"])
    registry = seed_account(aws.endpoint_url, aws.layer, ids["registry"],
                            [RegionSpec(REGION, repositories={"shared/api": [ImageSpec(["v1"], 1000, 1)]})])
    image = f"{ids['registry']}.dkr.ecr.{REGION}.amazonaws.com/shared/api:v1"
    seed_account(aws.endpoint_url, aws.layer, ids["workload"], [RegionSpec(REGION, functions=[
        FunctionSpec("api", image=image)])])
    lam = client(aws.endpoint_url, "lambda", credentials_of(aws.endpoint_url, ids["workload"]), REGION)
    code = lam.get_function(FunctionName="api")["Code"]
    assert code["ResolvedImageUri"] == image.rsplit(":", 1)[0] + "@" + registry.digests[(REGION, "shared/api")][0]


def test_invoke_runs_a_named_function_s_handler_and_answers_its_error_as_lambda_does(aws):
    def handler(event, context):
        if event.get("fail"):
            raise ValueError("no such step")
        return {"echo": event}

    aws.layer.functions.runners["report"] = handler
    lam = boto3.client("lambda", region_name=REGION)
    answer = lam.invoke(FunctionName=f"arn:aws:lambda:{REGION}:123456789012:function:report", Payload=b'{"a": 1}')
    assert json.loads(answer["Payload"].read()) == {"echo": {"a": 1}} and "FunctionError" not in answer
    failed = lam.invoke(FunctionName="report", Payload=b'{"fail": true}')
    assert failed["StatusCode"] == 200 and failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorMessage"] == "no such step"


def test_list_accounts_pages_and_refuses_callers_as_aws_does(aws):
    organizations = boto3.client("organizations", region_name="us-east-1")
    with pytest.raises(ClientError, match="AWSOrganizationsNotInUseException"):
        organizations.list_accounts()
    ids = create_accounts(aws.endpoint_url, [f"member-{n}" for n in range(22)])
    first = organizations.list_accounts()
    assert len(first["Accounts"]) == 20 and "NextToken" in first
    listed = [a["Id"] for page in organizations.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
    assert sorted(listed) == sorted([*ids.values(), "123456789012"])
    member = client(aws.endpoint_url, "organizations", credentials_of(aws.endpoint_url, ids["member-0"]))
    with pytest.raises(ClientError, match="AccessDeniedException"):
        member.list_accounts()


def test_two_accounts_functions_of_one_name_are_two_functions(aws):
    ids = create_accounts(aws.endpoint_url, ["first", "second"])
    uris = {}
    for name, account in ids.items():
        seeder = seed_account(aws.endpoint_url, aws.layer, account, [RegionSpec(
            REGION, repositories={"app": [ImageSpec([name], 1000, 1)]},
            functions=[FunctionSpec("api", image=("app", name), log_group=f"/custom/{name}")])])
        uris[name] = (f"{account}.dkr.ecr.{REGION}.amazonaws.com/app@" + seeder.digests[(REGION, "app")][0],
                      f"/custom/{name}")
    for name, account in ids.items():
        lam = client(aws.endpoint_url, "lambda", credentials_of(aws.endpoint_url, account), REGION)
        answer = lam.get_function(FunctionName="api")
        assert (answer["Code"]["ResolvedImageUri"], answer["Configuration"]["LoggingConfig"]["LogGroup"]) == uris[name]
