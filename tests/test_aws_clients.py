"""The client factory: clients ready to page from many threads at once, timestamps parsed to UTC."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.loaders import JSONFileLoader, Loader

from devtools.simulated_account import ImageSpec, RegionSpec
from devtools.tls import CannedEndpoint
from ecr_usage_report.aws.clients import ClientFactory, new_session, utc_timestamp
from ecr_usage_report.aws.scheduler import region_scheduler
from ecr_usage_report.aws.shared_models import read_json
from ecr_usage_report.inventory.collect import collect
from ecr_usage_report.run import run


class FreezableLoader(Loader):
    """botocore's own loader, which can be told to refuse any further model load."""

    frozen = False

    def load_service_model(self, service_name, type_name, api_version=None):  # noqa: D102 (botocore's signature)
        if self.frozen:
            raise AssertionError(f"{service_name} {type_name} loaded after the client was handed out")
        return super().load_service_model(service_name, type_name, api_version)


def test_a_client_comes_with_its_paginator_model_loaded():
    # botocore loads a client's paginator model on its first get_paginator, scanning its data
    # directory on a cold cache; threads paging at once would each run that scan. The factory
    # loads it under its lock, so paging loads nothing more.
    core = botocore.session.get_session()
    loader = FreezableLoader()
    core.register_component("data_loader", loader)
    factory = ClientFactory(boto3.Session(botocore_session=core, aws_access_key_id="a",
                                          aws_secret_access_key="b"), workers=4)
    ecr, functions = factory.get("ecr", "ap-northeast-2"), factory.get("lambda", "us-east-1")
    loader.frozen = True
    assert ecr.get_paginator("describe_images") and functions.get_paginator("list_functions")
    assert factory.get("ecr", "ap-northeast-2") is ecr


AT_0420 = datetime(2026, 11, 29, 4, 20, tzinfo=timezone.utc)  # epoch 1795926000


@pytest.mark.parametrize("value, instant", [
    (1795926000, AT_0420),
    (1795926000.125, AT_0420 + timedelta(milliseconds=125)),
    (0, datetime(1970, 1, 1, tzinfo=timezone.utc)),
    ("1795926000.5", AT_0420 + timedelta(milliseconds=500)),
    ("2026-11-29T04:20:00Z", AT_0420),
    ("2026-11-29T13:20:00+09:00", AT_0420),
    ("Sun, 29 Nov 2026 04:20:00 GMT", AT_0420),
], ids=["epoch", "epoch-fraction", "epoch-zero", "epoch-text", "iso-utc", "iso-kst", "http-date"])
def test_utc_timestamp_is_the_instant_botocore_parses(value, instant):
    assert utc_timestamp(value) == instant


def test_a_run_reads_push_and_pull_times_as_utc_datetimes(aws, seed, monkeypatch):
    # The report and the export convert every time themselves; only the parsing cost changed.
    seed([RegionSpec("ap-northeast-2", repositories={"app": [ImageSpec(["v1"], 1, 3, pulled_days_ago=1)]})])
    monkeypatch.setenv("EMAIL", "lab@example.com")
    result = run({"dry_run": True, "regions": ["ap-northeast-2"]})
    image = result.inventory.ecr["ap-northeast-2"].repositories[0].images[0]
    assert image.pushed_at.tzinfo is timezone.utc and image.last_pulled_at.tzinfo is timezone.utc


def test_lambdas_clients_are_built_first_in_region_order_and_a_bad_one_is_left_to_its_reader(aws, seed):
    # Lambda's reader is the run's slowest chain (paced calls, then paced log lookups), so its
    # clients are not left to queue, one at a time, among ECR's.
    asked: list[tuple[str, str]] = []

    class Recording(ClientFactory):
        def get(self, service: str, region: str):
            if (service, region) not in asked:
                asked.append((service, region))
            return super().get(service, region)

    seed([RegionSpec("ap-northeast-2", repositories={"app": []}), RegionSpec("us-west-2", repositories={"api": []})])
    regions = ["ap-northeast-2", "not a region!", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
               "eu-north-1", "ca-central-1", "sa-east-1", "us-east-2", "us-west-1", "us-west-2"]
    with region_scheduler(4) as scheduler:
        inventory = collect(Recording(boto3.Session(), workers=4), scheduler, regions)
    assert asked[:len(regions)] == [("lambda", region) for region in regions]
    assert sorted(inventory.ecr) == sorted(inventory.functions) == sorted(set(regions) - {"not a region!"})
    assert [error.where for error in inventory.errors] == ["ECR not a region!", "Lambda not a region!"]


def test_a_factory_builds_a_services_class_once_and_each_region_still_its_own_endpoint():
    # A client class (a method per operation) and its service model do not depend on the region; the
    # factory builds them once a service. Each client still signs for and calls its own region.
    factory = ClientFactory(boto3.Session(aws_access_key_id="a", aws_secret_access_key="b"), workers=4)
    seoul, tokyo = factory.get("sagemaker", "ap-northeast-2"), factory.get("sagemaker", "ap-northeast-1")
    assert type(seoul) is type(tokyo) and seoul.meta.service_model is tokyo.meta.service_model
    assert (seoul.meta.region_name, tokyo.meta.region_name) == ("ap-northeast-2", "ap-northeast-1")
    assert seoul.meta.events is not tokyo.meta.events
    elsewhere = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b").client("sagemaker", "ap-northeast-2")
    assert type(elsewhere) is not type(seoul)  # a session the factory does not own builds as botocore does


def test_the_factorys_session_reads_models_without_documentation_and_calls_as_before(aws, seed):
    # botocore keeps every model it reads for the life of the process; the documentation no call uses
    # is left out as it is read (SageMaker's and EC2's models are 15 MB each as Python objects).
    seed([RegionSpec("us-east-1", repositories={"web": [ImageSpec(["v1"], 10**9, 3)]})])
    lean = ClientFactory(new_session(), workers=2).get("ecr", "us-east-1")
    full = boto3.Session().client("ecr", region_name="us-east-1")
    assert lean.meta.service_model.operation_model("DescribeImages").documentation == ""
    assert full.meta.service_model.operation_model("DescribeImages").documentation
    assert lean.describe_images(repositoryName="web")["imageDetails"] == full.describe_images(
        repositoryName="web")["imageDetails"]


def test_another_account_s_clients_share_this_account_s_models_and_classes(aws):
    own = ClientFactory(workers=4)
    other = own.with_credentials(("AKIDOTHER", "secret", "token"))
    assert type(other.get("ecr", "us-east-1")) is type(own.get("ecr", "eu-west-1"))
    assert other.session._session.get_component("data_loader") is own.session._session.get_component("data_loader")
    credentials = other.session.get_credentials()
    assert (credentials.access_key, credentials.token) == ("AKIDOTHER", "token")
    assert own.session.get_credentials().access_key == "testing"


def test_the_factorys_ec2_and_sagemaker_clients_offer_only_the_operations_the_report_calls(aws):
    # Their models are the largest a run reads; other services keep every operation.
    clients = ClientFactory(new_session(), workers=2)
    assert clients.get("ec2", "us-east-1").meta.service_model.operation_names == ["DescribeRegions"]
    assert clients.get("sagemaker", "us-east-1").can_paginate("list_models")
    assert not hasattr(clients.get("sagemaker", "us-east-1"), "create_model")
    assert "PutImage" in clients.get("ecr", "us-east-1").meta.service_model.operation_names
    assert boto3.Session().client("ec2", region_name="us-east-1").meta.service_model.operation_names != ["DescribeRegions"]


def test_a_proxy_named_in_the_environment_carries_the_calls(aws, monkeypatch):
    # Clients are told there is no proxy when the environment names none; one that names a proxy is obeyed.
    with CannedEndpoint() as proxy:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        assert ClientFactory(new_session(), workers=2).get("ecs", "us-east-1").list_clusters()["clusterArns"] == []
        assert proxy.targets == [f"{aws.endpoint_url}/"]
        monkeypatch.delenv("HTTP_PROXY")
        ClientFactory(new_session(), workers=2).get("ecs", "us-east-1").list_clusters()
        assert len(proxy.targets) == 1  # straight to the endpoint


def test_clients_that_share_event_names_keep_their_own_handlers(aws):
    # A session's clients share what each event is called (botocore aliases "events" to "eventbridge");
    # a handler registered on one client still fires for that client alone, under either name.
    factory = ClientFactory(new_session(), workers=2)
    seoul, tokyo = factory.get("events", "ap-northeast-2"), factory.get("events", "ap-northeast-1")
    fired: list[str] = []
    seoul.meta.events.register("before-call.events.ListRules", lambda **_: fired.append("events"))
    seoul.meta.events.register("before-call.eventbridge.ListRules", lambda **_: fired.append("eventbridge"))
    tokyo.list_rules()
    seoul.list_rules()
    tokyo.list_rules()
    assert sorted(fired) == ["eventbridge", "events"]


@pytest.mark.parametrize("service", ["ecr", "lambda", "logs", "ecs", "events", "sagemaker"])
def test_the_lean_loader_reads_a_model_file_as_botocore_does(service):
    # Plain dicts parse twice as fast as botocore's OrderedDicts and keep the same order.
    loader = Loader()
    version = loader.determine_latest_version(service, "service-2")
    path = next(str(Path(where) / service / version / "service-2") for where in loader.search_paths
                if (Path(where) / service / version).is_dir())
    lean, botocores = read_json(path), JSONFileLoader().load_file(path)
    assert lean == botocores and list(lean["shapes"]) == list(botocores["shapes"])
    assert read_json(str(Path(path).parent.parent.parent / "endpoints")) == JSONFileLoader().load_file(
        str(Path(path).parent.parent.parent / "endpoints"))
    assert read_json(path + "-missing") is None
