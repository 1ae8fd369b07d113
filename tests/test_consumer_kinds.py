"""Consumer kinds as one declared list (inventory/kinds.py), and the two kinds added through it alone:
CodeBuild projects and SageMaker models, against the simulated AWS."""
from __future__ import annotations

import subprocess
import sys
from importlib import import_module

from devtools.simulated_account import CodeBuildSpec, RegionSpec, SageMakerModelSpec
from ecr_usage_report.inventory.consumers import DECLARED, LABELS
from ecr_usage_report.inventory.kinds import KINDS, READ_KINDS
from ecr_usage_report.run import run
from tests.helpers import OHIO, calls, candidates, dry_run, old_repositories


def test_each_listed_word_is_a_module_declaring_that_kind_with_its_own_label():
    assert [kind.word for kind in DECLARED] == list(READ_KINDS)
    assert [import_module(f"ecr_usage_report.inventory.{word}").KIND.word for word in READ_KINDS] == list(READ_KINDS)
    assert len(set(LABELS)) == len(LABELS) and "CodeBuild" in LABELS and "SageMaker" in LABELS
    assert {"codebuild", "sagemaker"} <= set(KINDS)


def test_reading_settings_imports_no_reader():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, ecr_usage_report.config; print(' '.join(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True).stdout.split()
    readers = [module for module in loaded if module.startswith("ecr_usage_report.inventory.")
               and module.rpartition(".")[2] in (*READ_KINDS, "consumers", "kubernetes")]
    assert "ecr_usage_report.inventory.kinds" in loaded and readers == []


def test_a_repository_only_a_codebuild_project_uses_is_kept_and_names_it(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("builder", "unused"))
    region.codebuild_projects = [CodeBuildSpec(f"p{index:03d}", ("builder", "v1")) for index in range(103)]
    seed([region])
    result = dry_run({"consumer_kinds": ["codebuild"]})
    assert candidates(result) == ["unused"]
    assert "\t- codebuild project p102" in result.report.splitlines()
    assert calls(aws.layer, "ListProjects", OHIO) == 2 and calls(aws.layer, "BatchGetProjects", OHIO) == 2  # 100, then 3


def test_a_repository_only_a_sagemaker_model_uses_is_kept_and_names_the_endpoints_serving_it(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("model", "draft", "unused"))
    region.sagemaker_models = [SageMakerModelSpec("ranker", ("model", "v1"), endpoints=("rank-a", "rank-b"))]
    region.sagemaker_models += [SageMakerModelSpec(f"draft-{index:02d}", ("draft", "v1")) for index in range(11)]
    seed([region])
    result = run({"dry_run": True, "regions": [OHIO]})  # CONSUMER_KINDS=all reads SageMaker
    assert candidates(result) == ["unused"]
    lines = result.report.splitlines()
    assert "\t- sagemaker model ranker / served by endpoints rank-a, rank-b" in lines
    assert "\t- sagemaker model draft-10 / no endpoint" in lines
    assert calls(aws.layer, "ListModels", OHIO) == 2  # 12 models, 10 a page


def test_a_region_without_a_sagemaker_model_is_read_in_one_call(aws, seed):
    # An endpoint only tells which models are served: where no model is listed, its endpoints are not asked.
    seed([RegionSpec(OHIO, repositories=old_repositories("unused"))])
    result = dry_run({"consumer_kinds": ["sagemaker"]})
    assert candidates(result) == ["unused"] and not result.inventory.errors
    assert (calls(aws.layer, "ListModels", OHIO), calls(aws.layer, "ListEndpoints", OHIO)) == (1, 0)


def test_a_model_deleted_since_it_was_listed_is_passed_over_and_another_failure_is_named(aws, seed):
    region = RegionSpec(OHIO, repositories=old_repositories("model"))
    region.sagemaker_models = [SageMakerModelSpec("ranker", ("model", "v1"))]
    seed([region])
    aws.layer.fail(operation="DescribeModel", code="ValidationException", message="Could not find model", times=1)
    gone = dry_run({"consumer_kinds": ["sagemaker"]})
    assert gone.inventory.errors == () and candidates(gone) == ["model"]
    aws.layer.fail(operation="DescribeModel")
    refused = dry_run({"consumer_kinds": ["sagemaker"]})
    assert [(e.service, e.resource) for e in refused.inventory.errors] == [("SageMaker", "ranker")]
    assert candidates(refused) == []  # its region is not judged


def test_consumer_kinds_accepts_the_new_words(aws, seed, monkeypatch):
    seed([RegionSpec(OHIO, repositories=old_repositories("app"))])
    monkeypatch.setenv("CONSUMER_KINDS", "codebuild, SageMaker")
    assert run({"dry_run": True, "regions": [OHIO]}).inventory.consumer_kinds == ("codebuild", "sagemaker")
