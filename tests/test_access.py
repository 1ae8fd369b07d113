"""Who outside this account a repository policy lets pull, each shape AWS documents or allows."""
from __future__ import annotations

import json

import pytest

from ecr_usage_report.analysis.access import ServiceGrant, SharedWith, shared_with
from ecr_usage_report.analysis.policy import PolicyError

OWN, OTHER, THIRD = "123456789012", "111122223333", "444455556666"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
PUSH = ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage",
        "ecr:UploadLayerPart"]


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, action=PULL, **more) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **more}


def text_of(policy_text: str) -> str:
    result = shared_with(policy_text, OWN)
    assert isinstance(result, SharedWith), result
    return result.text


# The repository policy examples of the ECR user guide (repository-policy-examples.html), their account ids filled in.
USER_GUIDE = {
    "allow-users-of-this-account": (policy(allow({"AWS": [f"arn:aws:iam::{OWN}:user/push-pull-user-1",
                                                           f"arn:aws:iam::{OWN}:user/push-pull-user-2"]},
                                                 PULL + PUSH)), "not shared outside this account"),
    "allow-another-account-to-push": (policy(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}, PUSH)),
                                      "not shared outside this account"),
    "pull-users-and-an-admin": (policy(allow({"AWS": [f"arn:aws:iam::{OTHER}:user/pull-user-1",
                                                      f"arn:aws:iam::{OTHER}:user/pull-user-2"]}),
                                       allow({"AWS": f"arn:aws:iam::{THIRD}:user/admin-user"}, ["ecr:*"])),
                                "shared with 111122223333, 444455556666"),
    "deny-all": (policy({"Effect": "Deny", "Principal": "*", "Action": PULL}), "not shared outside this account"),
    "deny-outside-an-ip-range": (policy({"Effect": "Deny", "Principal": "*", "Action": "ecr:*",
                                         "Condition": {"NotIpAddress": {"aws:SourceIp": "54.240.143.0/24"}}}),
                                 "not shared outside this account"),
    "codebuild-of-another-account": (policy(allow({"Service": "codebuild.amazonaws.com"}, Condition={
        "ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:{OTHER}:project/project-name"},
        "StringEquals": {"aws:SourceAccount": OTHER}})), "shared with codebuild.amazonaws.com for 111122223333"),
    "codebuild-of-this-account": (policy(allow({"Service": "codebuild.amazonaws.com"}, Condition={
        "StringEquals": {"aws:SourceAccount": OWN}})), "not shared outside this account"),
    # the Lambda developer guide's cross-account image permissions
    "lambda-cross-account": (policy(allow({"AWS": f"arn:aws:iam::{OTHER}:root", "Service": "lambda.amazonaws.com"},
                                          Condition={"StringLike": {"aws:sourceARN":
                                                                    f"arn:aws:lambda:us-east-1:{OTHER}:function:*"}})),
                             "shared with 111122223333, lambda.amazonaws.com for 111122223333"),
}


@pytest.mark.parametrize("policy_text, expected", USER_GUIDE.values(), ids=USER_GUIDE.keys())
def test_the_user_guides_examples(policy_text, expected):
    assert text_of(policy_text) == expected


SHAPES = {
    "bare-account-id": (allow({"AWS": OTHER}), "shared with 111122223333"),
    "a-role-of-another-account": (allow({"AWS": f"arn:aws:iam::{OTHER}:role/deployer"}), "shared with 111122223333"),
    "one-action-as-a-string": (allow({"AWS": OTHER}, "ecr:BatchGetImage"), "shared with 111122223333"),
    "any-action": (allow({"AWS": OTHER}, "*"), "shared with 111122223333"),
    "wildcard-batch-get": (allow({"AWS": OTHER}, "ecr:BatchGet*"), "shared with 111122223333"),
    "wildcard-get-lowercase": (allow({"AWS": OTHER}, ["ecr:get*"]), "shared with 111122223333"),
    "only-describe": (allow({"AWS": OTHER}, ["ecr:DescribeImages", "ecr:ListImages"]), "not shared outside this account"),
    "not-action-of-push": ({"Effect": "Allow", "Principal": {"AWS": OTHER}, "NotAction": PUSH},
                           "shared with 111122223333"),
    "not-action-of-both-pulls": ({"Effect": "Allow", "Principal": {"AWS": OTHER}, "NotAction": ["ecr:BatchGet*",
                                                                                               "ecr:GetDownload*"]},
                                 "not shared outside this account"),
    "star": (allow("*"), "shared with everyone"),
    "aws-star": (allow({"AWS": "*"}), "shared with everyone"),
    "not-principal": ({"Effect": "Allow", "NotPrincipal": {"AWS": OTHER}, "Action": PULL}, "shared with everyone"),
    "star-in-an-organization": (allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
                                "shared with organization o-abc"),
    "star-in-organization-paths": (allow({"AWS": "*"}, Condition={"ForAnyValue:StringLike": {
        "aws:PrincipalOrgPaths": ["o-abc/r-ab12/ou-ab12-11111111/*"]}}),
        "shared with organization o-abc/r-ab12/ou-ab12-11111111/*"),
    "star-for-source-accounts": (allow("*", Condition={"StringEquals": {"aws:SourceAccount": [OTHER, OWN]}}),
                                 "shared with 111122223333"),
    "star-with-a-negated-organization": (allow("*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}),
                                         "shared with everyone"),
    "star-with-organization-if-exists": (allow("*", Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a"}}),
                                         "shared with everyone"),
    "star-from-an-ip-range": (allow("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
                              "shared with everyone"),
    "service-for-anyone": (allow({"Service": "lambda.amazonaws.com"}), "shared with lambda.amazonaws.com for any account"),
    "a-deleted-role": (allow({"AWS": "AROAEXAMPLEUNIQUEID1"}), "not shared outside this account"),
}


@pytest.mark.parametrize("statement, expected", SHAPES.values(), ids=SHAPES.keys())
def test_each_shape(statement, expected):
    assert text_of(policy(statement)) == expected


def test_a_deny_narrows_nothing():
    deny = {"Effect": "Deny", "Principal": {"AWS": OTHER}, "Action": PULL}
    assert text_of(policy(allow({"AWS": OTHER}), deny)) == "shared with 111122223333"


def test_everything_at_once_is_one_line_in_a_fixed_order():
    text = policy(allow("*"), allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
                  allow({"AWS": [THIRD, OTHER]}), allow({"Service": "codebuild.amazonaws.com"}))
    result = shared_with(text, OWN)
    assert result == SharedWith((OTHER, THIRD), ("o-abc",), True, (ServiceGrant("codebuild.amazonaws.com"),))
    assert result.text == ("shared with 111122223333, 444455556666, organization o-abc, everyone,"
                           " codebuild.amazonaws.com for any account")


@pytest.mark.parametrize("policy_text, reason", [
    ("{not json", "not JSON"),
    ('["a list"]', "not a JSON object"),
    ('{"Version": "2012-10-17"}', "no Statement list"),
    (policy({"Effect": "Maybe", "Principal": "*", "Action": PULL}), "statement #1: unknown Effect 'Maybe'"),
    (policy({"Sid": "Odd", **allow({"CanonicalUser": "abc"})}), "statement Odd: unknown principal type 'CanonicalUser'"),
    (policy(allow({"AWS": "someone"})), "statement #1: unknown AWS principal 'someone'"),
    (policy({"Effect": "Allow", "Principal": "*"}), "statement #1: neither Action nor NotAction"),
], ids=["not-json", "not-an-object", "no-statements", "odd-effect", "canonical-user", "odd-aws-principal", "no-action"])
def test_a_policy_that_cannot_be_read_is_named_not_guessed(policy_text, reason):
    result = shared_with(policy_text, OWN)
    assert isinstance(result, PolicyError) and result.reason.startswith(reason)
