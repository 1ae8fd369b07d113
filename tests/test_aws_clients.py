"""ClientFactory hands out clients ready to page from many threads at once."""
from __future__ import annotations

import boto3
import botocore.session
from botocore.loaders import Loader

from aws_clients import ClientFactory


class FreezableLoader(Loader):
    """botocore's own loader, which can be told to refuse any further model load."""

    frozen = False

    def load_service_model(self, service_name, type_name, api_version=None):  # noqa: D102 (botocore's signature)
        if self.frozen:
            raise AssertionError(f"{service_name} {type_name} loaded after the client was handed out")
        return super().load_service_model(service_name, type_name, api_version)


def test_a_client_comes_with_its_paginator_model_loaded():
    # botocore loads a client's paginator model on its first get_paginator, scanning its data
    # directory on a cold cache; 24 region threads paging at once each ran that scan (0.8 s of
    # a benchmark run). The factory loads it under its lock, so paging loads nothing more.
    core = botocore.session.get_session()
    loader = FreezableLoader()
    core.register_component("data_loader", loader)
    factory = ClientFactory(boto3.Session(botocore_session=core, aws_access_key_id="a",
                                          aws_secret_access_key="b"), workers=4)
    ecr, functions = factory.get("ecr", "ap-northeast-2"), factory.get("lambda", "us-east-1")
    loader.frozen = True
    assert ecr.get_paginator("describe_images") and functions.get_paginator("list_functions")
    assert factory.get("ecr", "ap-northeast-2") is ecr

