"""An account's inventory survives its trip through S3 between the scale-out's steps, whole."""
from __future__ import annotations

import json

import pytest

from devtools.simulated_account import demo_account
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.scheduler import region_scheduler
from ecr_usage_report.inventory.codec import CodecError, inventory_document, inventory_of
from ecr_usage_report.inventory.collect import collect_account
from ecr_usage_report.inventory.kinds import KINDS, ConsumerSettings


def test_the_demo_account_s_inventory_comes_back_equal_from_json(seed):
    seed(demo_account())
    with region_scheduler(8) as scheduler:
        inventory = collect_account(ClientFactory(workers=8), scheduler, None, ConsumerSettings(frozenset(KINDS)))
    assert inventory.ecr and inventory.functions and inventory.consumers and inventory.last_runs
    back = inventory_of(json.loads(json.dumps(inventory_document(inventory))))
    assert back == inventory
    repository = next(repo for data in back.ecr.values() for repo in data.repositories if repo.index_children)
    assert repository.reach == next(r for d in inventory.ecr.values() for r in d.repositories
                                    if r.uri == repository.uri).reach


@pytest.mark.parametrize("document", [None, [], {"format": 99, "inventory": {}}, {"format": 1, "inventory": {}},
                                      {"format": 1, "inventory": {"regions": 5}}])
def test_anything_else_is_refused_by_name(document):
    with pytest.raises(CodecError, match="not an inventory"):
        inventory_of(document)
