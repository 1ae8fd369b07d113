"""Shared fixtures: moto's server (behind our AwsLayer) over real HTTP, and a fake Slack webhook."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.aws.server import LayeredMotoServer  # noqa: E402
from devtools.fake_kubernetes import FakeKubernetes  # noqa: E402
from devtools.fake_slack import FakeSlack  # noqa: E402
from devtools.simulated_account import RegionSpec, Seeder, demo_account  # noqa: E402
from ecr_usage_report.aws.clients import clear_shared_factories  # noqa: E402
from ecr_usage_report.aws.secrets import forget_secrets  # noqa: E402
from ecr_usage_report.redaction import forget_fragments  # noqa: E402
from tests.helpers import post_as_bot  # noqa: E402

DEFAULT_REGION = "ap-northeast-2"
DEMO_REGIONS = "ap-northeast-2,us-east-1,us-west-2"  # Seoul, Virginia, Oregon
CLEARED_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "SLACK_DDPS", "REGIONS", "MAX_WORKERS", "EMAIL")


@pytest.fixture(scope="session")
def aws_server() -> Iterator[LayeredMotoServer]:
    """One moto server for the session; `aws` resets it for every test."""
    server = LayeredMotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(aws_server: LayeredMotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LayeredMotoServer]:
    """An empty simulated AWS account reached through AWS_ENDPOINT_URL, with dummy credentials; the
    container's shared clients and secrets start empty, as in a new Lambda container. A test during
    which moto itself failed (a 5xx no test injected) fails: its retries would be counted as the product's."""
    aws_server.reset()
    clear_shared_factories()
    forget_secrets()
    forget_fragments()
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", DEFAULT_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("EMAIL", "lab@example.com")
    yield aws_server
    assert aws_server.layer.moto_faults == [], "moto failed on its own; fix the simulated layer, not the test"


@pytest.fixture(scope="session")
def kubernetes_server() -> Iterator[FakeKubernetes]:
    """One local Kubernetes API for the session; `kubernetes` empties it for every test."""
    with FakeKubernetes() as server:
        yield server


@pytest.fixture
def kubernetes(kubernetes_server: FakeKubernetes) -> FakeKubernetes:
    """The EKS clusters' Kubernetes API, with no cluster yet."""
    kubernetes_server.reset()
    return kubernetes_server


@pytest.fixture
def seed(aws: LayeredMotoServer, kubernetes: FakeKubernetes):
    """seed([RegionSpec, ...], every_region=False) -> Seeder (its .digests name each pushed image). The
    account's enabled regions are the ones seeded and the default region, so a run scans only those,
    unless `every_region` keeps a commercial account's 17."""
    def seed_regions(regions: list[RegionSpec], every_region: bool = False) -> Seeder:
        seeder = Seeder(aws.endpoint_url, aws.layer, kubernetes=kubernetes)
        seeder.seed(regions)
        if not every_region:
            aws.layer.ec2.enabled_regions = frozenset({spec.name for spec in regions} | {DEFAULT_REGION})
        aws.layer.reset_counts()
        return seeder

    return seed_regions


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """A local webhook server; SLACK_DDPS points at it (tests.helpers.handler posts without pauses)."""
    with FakeSlack() as fake:
        monkeypatch.setenv("SLACK_DDPS", fake.url)
        yield fake


@pytest.fixture
def as_bot(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    """The fake Slack's Web API, posted to as a bot; no webhook is set."""
    monkeypatch.delenv("SLACK_DDPS")
    post_as_bot(monkeypatch, slack)
    return slack


@pytest.fixture
def demo(seed, monkeypatch: pytest.MonkeyPatch) -> Seeder:
    """`make demo`'s account, seeded; REGIONS names its three regions."""
    monkeypatch.setenv("REGIONS", DEMO_REGIONS)
    return seed(demo_account())
