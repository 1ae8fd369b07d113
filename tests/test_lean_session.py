"""The factory's botocore session: each client holds the handlers botocore's would, settings read once."""
from __future__ import annotations

import boto3
import botocore.session
import pytest
from botocore import handlers
from botocore.config import Config
from botocore.hooks import EventAliaser, HierarchicalEmitter

from ecr_usage_report.aws.clients import client_config, new_session
from ecr_usage_report.aws.lean_session import DOCUMENTATION_EVENTS, LeanSession, event_service

# Every service the report builds a client of, and services whose built-in handlers botocore names by
# an older name (logs, events, sagemaker's "api.sagemaker") or that have many (s3, ec2, rds, glacier).
SERVICES = ("ecr", "lambda", "logs", "ec2", "sts", "s3", "organizations", "ecs", "events", "scheduler", "batch",
            "apprunner", "eks", "codebuild", "sagemaker", "cloudwatch", "rds", "glacier", "cognito-identity",
            "iot-data", "route53", "sqs", "apigateway", "s3control", "sagemaker-runtime", "stepfunctions")


def handler_name(handler) -> str:
    """A handler as a reader would name it, the same for every client's instance of it."""
    target = getattr(handler, "__func__", handler)
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{getattr(target, '__module__', None) or type(target).__module__}.{name}"


def handler_table(client) -> dict[tuple[str, ...], list[str]]:
    """Every event of the client's emitter that has handlers, by its parts, and their names in firing order
    (the trie of botocore's emitter, read as botocore's prefix search reads it)."""
    table: dict[tuple[str, ...], list[str]] = {}

    def walk(node, path):
        values = node.get("values")
        if values:
            table[path] = [handler_name(h) for h in (*values.first, *values.middle, *values.last)]
        for part, child in node.get("children", {}).items():
            walk(child, (*path, part))

    walk(client.meta.events._emitter._handlers._root, ())
    return table


def fired_for(client, service_event_name: str) -> dict[tuple[str, ...], list[str]]:
    """The part of handler_table a client of the service can fire: its own events and every service's."""
    return {path: names for path, names in handler_table(client).items()
            if (len(path) < 2 or path[1] in ("*", service_event_name)) and path[0] != DOCUMENTATION_EVENTS}


BUILTIN_NAMES = frozenset(handler_name(spec[1]) for spec in handlers.BUILTIN_HANDLERS)


def test_every_built_in_handler_is_scoped_to_the_service_botocore_fires_it_for():
    aliaser = EventAliaser(HierarchicalEmitter())
    for event_name, *_ in handlers.BUILTIN_HANDLERS:
        parts = aliaser._alias_event_name(event_name).split(".")
        expected = None if len(parts) < 2 or parts[1] == "*" else parts[1]
        assert event_service(event_name) == expected, event_name


@pytest.mark.parametrize("service", SERVICES)
def test_a_lean_client_holds_the_handlers_a_botocore_client_holds(service):
    config = client_config(workers=4)
    keys = {"aws_access_key_id": "a", "aws_secret_access_key": "b", "region_name": "us-east-1", "config": config}
    plain = boto3.Session(botocore_session=botocore.session.get_session()).client(service, **keys)
    lean = new_session().client(service, **keys)
    event_name = plain.meta.service_model.service_id.hyphenize()
    expected, built = fired_for(plain, event_name), fired_for(lean, event_name)
    assert built.keys() == expected.keys()
    for event, names in expected.items():
        # boto3 registers its own S3 handlers on the session before a lean session adds botocore's for S3
        assert [n for n in built[event] if n in BUILTIN_NAMES] == [n for n in names if n in BUILTIN_NAMES], event
        assert sorted(built[event]) == sorted(names), event


def test_a_lean_client_copies_no_other_service_s_built_in_handlers():
    lean = new_session().client("ecs", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    foreign = [f"{'.'.join(path)}: {name}" for path, names in handler_table(lean).items()
               if len(path) > 1 and path[1] not in ("*", "ecs") for name in names if name in BUILTIN_NAMES]
    assert foreign == []


def test_the_credential_chain_s_sts_client_signs_nothing_it_must_not(aws):
    # AssumeRoleWithWebIdentity is sent unsigned (botocore's STS handlers): a lean session adds them
    # for the STS client the credential chain builds through it.
    session = LeanSession()
    sts = session.create_client("sts", region_name="us-east-1")
    assert sts.meta.events.emit_until_response(
        "choose-signer.sts.AssumeRoleWithWebIdentity", signing_name="sts", region_name="us-east-1",
        signature_version="v4", context={})[1] is botocore.UNSIGNED


def test_a_profile_s_settings_reach_every_client(aws, monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile lab]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    session = new_session("lab")
    assert session.region_name == "eu-west-1"
    for region in ("us-east-1", "us-west-2"):
        s3 = session.client("s3", region_name=region)
        assert s3.meta.config.s3["addressing_style"] == "path"


def test_a_setting_botocore_cannot_read_is_reported_as_botocore_reports_it(monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "several")
    with pytest.raises(ValueError) as plain:
        botocore.session.get_session().create_client("ecr", region_name="us-east-1")
    session = new_session()
    with pytest.raises(ValueError) as lean:
        session.client("ecr", region_name="us-east-1")
    assert str(lean.value) == str(plain.value)


@pytest.mark.parametrize("where", ["environment", "client"])
@pytest.mark.parametrize("service", ["ecr", "s3", "sts"])
def test_a_defaults_mode_other_than_legacy_applies_as_botocore_applies_it(monkeypatch, where, service):
    keys = {"region_name": "us-east-1", "aws_access_key_id": "a", "aws_secret_access_key": "b"}
    if where == "environment":
        monkeypatch.setenv("AWS_DEFAULTS_MODE", "in-region")
    else:
        keys["config"] = Config(defaults_mode="standard")
    plain = botocore.session.get_session().create_client(service, **keys)
    lean = new_session().client(service, **keys)
    assert lean.meta.config.connect_timeout == plain.meta.config.connect_timeout != 60
    assert lean.meta.config.retries == plain.meta.config.retries
    assert lean.meta.config.s3 == plain.meta.config.s3
    assert lean.meta.endpoint_url == plain.meta.endpoint_url
