"""Issue 18: the whole of ECR storage. Archived images, image indexes and referrers are listed,
sized once each and priced; untagged means reached by no tag, index or subject; functions whose
image is archived, an index or gone are warned about."""
from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import boto3
import botocore
import pytest

from devtools.simulated_account import DAY, GB, MB, FunctionSpec, ImageSpec, RegionSpec, Seeder
from ecr_usage_report.cli import render
from ecr_usage_report.report.times import format_kst
from ecr_usage_report.run import ReportError, RunResult, run
from get_ecr_object import get_region_ecr_object
from lambda_function import get_repository_string

SEOUL = "ap-northeast-2"
SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"
SBOM = "application/spdx+json"


def dry_run(**event) -> RunResult:
    return run({"dry_run": True, "regions": [SEOUL], **event})


def kst(epoch: float) -> str:
    return format_kst(datetime.fromtimestamp(epoch, timezone.utc))


def lines_under(report: str, name: str) -> list[str]:
    """The lines under a repository's line: its functions, then what was added under it."""
    lines = report[report.index(f"repository name : {name} /"):].split("\n")[1:]
    taken = []
    for line in lines:
        if not line.startswith("\t"):
            break
        taken.append(line)
    return taken


def repo_line(report: str, name: str) -> str:
    return next(line for line in report.split("\n") if line.startswith(f"repository name : {name} /"))


def summary(report: str) -> list[str]:
    start = report.index("====== SUMMARY")
    return report[start:].split("\n\n")[0].split("\n")


@pytest.fixture
def storage_account(seed) -> Seeder:
    """A multi-platform image, a signed image with two referrers, and a repository with an archived
    image that a function still runs."""
    region = RegionSpec(SEOUL, repositories={
        "web": [ImageSpec(["1.0"], 0, 10, platforms=(("linux/amd64", 300 * MB), ("linux/arm64", 280 * MB)))],
        "signed": [ImageSpec(["v1"], 500 * MB, 5, referrers=((SIGNATURE, 1 * MB), (SBOM, 49 * MB)))],
        "jobs": [ImageSpec(["v2"], 700 * MB, 3), ImageSpec(["v1"], 600 * MB, 200, archived_days_ago=30)],
    })
    region.functions = [FunctionSpec("nightly", ("jobs", "@1"), last_run_days_ago=40),
                        FunctionSpec("api", ("jobs", "v2"), last_run_days_ago=1)]
    return seed([region])


def test_a_botocore_older_than_ecrs_archive_reads_the_active_images_and_names_what_it_missed(
        storage_account, tmp_path, monkeypatch):
    # botocore reads models from AWS_DATA_PATH first: an ECR model from before the archive's imageStatus filter
    botocore_data = Path(botocore.__file__).parent / "data" / "ecr" / "2015-09-21"
    model = json.loads(gzip.decompress((botocore_data / "service-2.json.gz").read_bytes()))
    del model["shapes"]["DescribeImagesFilter"]["members"]["imageStatus"]
    older = tmp_path / "ecr" / "2015-09-21"
    older.mkdir(parents=True)
    (older / "service-2.json").write_text(json.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    result = dry_run()
    [error] = [error for error in result.inventory.errors if error.resource == "archived images"]
    assert error.where == f"ECR {SEOUL}/archived images"
    assert error.message.startswith(f"not read: botocore {botocore.__version__} knows no DescribeImages imageStatus")
    assert "/ repository size : 0.700 GB /" in repo_line(result.report, "jobs")  # the active image, read
    assert f"- ECR {SEOUL}/archived images : not read: botocore" in result.report


def test_sizes_are_the_sum_of_distinct_manifests_and_an_index_adds_nothing(storage_account):
    result = dry_run()
    assert "/ repository size : 0.580 GB /" in repo_line(result.report, "web")  # 300 + 280 MB, not + the index's 300
    assert "/ repository size : 0.550 GB /" in repo_line(result.report, "signed")  # 500 MB + 1 MB + 49 MB
    assert "/ repository size : 1.300 GB /" in repo_line(result.report, "jobs")  # active 700 MB + archived 600 MB
    assert "====== REGION ap-northeast-2 Total Size : 2.430 GB ======" in result.report
    assert "total size : 2.430 GB" in summary(result.report)[1]
    assert "An image index adds nothing to a size: its platform images count, once each." in summary(result.report)


def test_platform_images_and_referrers_of_a_tagged_image_are_not_untagged(storage_account):
    report = dry_run().report
    assert "/ images : 3 (untagged 0, 0.000 GB) /" in repo_line(report, "web")
    assert lines_under(report, "web") == ["\t- kinds : 1 index of 2 platform images"]
    assert "/ images : 3 (untagged 0, 0.000 GB) /" in repo_line(report, "signed")
    assert lines_under(report, "signed") == ["\t- kinds : 2 referrers of 1 image (signatures, SBOMs, attestations)"]


def test_an_untagged_index_and_an_orphan_referrer_are_untagged_with_what_they_hold(seed):
    region = RegionSpec(SEOUL, repositories={"web": [
        ImageSpec(["2.0"], 0, 1, platforms=(("linux/amd64", 300 * MB), ("linux/arm64", 280 * MB))),
        ImageSpec([], 0, 90, platforms=(("linux/amd64", 100 * MB), ("linux/arm64", 90 * MB)), referrers=((SBOM, 10 * MB),)),
    ]})
    seed([region])
    # the old index lost its tag: it, its two platform images and its SBOM are reached by no tag
    result = dry_run()
    assert "/ images : 7 (untagged 4, 0.200 GB) /" in repo_line(result.report, "web")
    # the exports count what the text counts: an index adds no bytes of its own
    [repo] = json.loads(render(result, "json"))["repositories"]
    assert (repo["untagged_size_bytes"], repo["size_bytes"]) == (200 * MB, 780 * MB)
    rows = list(csv.DictReader(io.StringIO(render(result, "csv"))))
    assert sum(int(row["stored_bytes"]) for row in rows) == 780 * MB


def test_archived_images_are_listed_and_priced_at_their_own_rate(storage_account):
    result = dry_run(price_per_gb_month=0.10, archive_price_per_gb_month=0.05)
    archived_at = storage_account.now - 30 * DAY
    jobs = lines_under(result.report, "jobs")
    assert jobs[2] == f"\t- storage : active 1 image 0.700 GB / archived 1 image 0.600 GB, last archived {kst(archived_at)}"
    assert [image.status for image in result.inventory.ecr[SEOUL].repositories[2].images] == ["ACTIVE", "ARCHIVED"]
    lines = summary(result.report)
    # 1.83 GB active at $0.10 and 0.6 GB archived at $0.05
    assert lines[1].endswith("total size : 2.430 GB / estimated storage cost : $0.21 per month (at $0.10 per GB-month)")
    assert lines[3] == "1. ap-northeast-2 jobs : 1.300 GB ($0.10 per month)"
    assert ("archived : 1 image, 0.600 GB, $0.03 per month (at $0.05 per GB-month); an archived image cannot be"
            " pulled until it is restored and is billed for at least 90 days") in lines


def test_a_function_pinned_to_an_archived_image_is_warned_about(storage_account):
    result = dry_run()
    digest = storage_account.digests[(SEOUL, "jobs")][1]
    warning = (f"nightly : its image jobs@{digest[:19]} is archived (since {kst(storage_account.now - 30 * DAY)}):"
               " its next cold start fails until it is restored")
    assert f"\t- warning : {warning}" in lines_under(result.report, "jobs")
    lines = summary(result.report)
    assert lines[lines.index("Functions whose image will not run : 1") + 1] == f"- {SEOUL} {warning}"
    assert "api" not in "\n".join(line for line in lines_under(result.report, "jobs") if "warning" in line)


def test_a_function_whose_tag_now_names_an_index_is_warned_before_its_next_deploy(seed):
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 100 * MB, 30)]},
                        functions=[FunctionSpec("api", ("app", "v1"), last_run_days_ago=1)])
    seeder = seed([region])
    ecr = boto3.client("ecr", region_name=SEOUL)
    platform = seeder.put(ecr, "app", json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                  "config": {"mediaType": "x", "size": 1, "digest": "sha256:" + "1" * 64},
                                                  "layers": []}), [], {"imageSizeInBytes": 50 * MB})
    ecr.put_image(repositoryName="app", imageTag="v1", imageManifest=json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": platform, "size": 10}]}))
    [problem] = dry_run().findings.image_problems
    assert (problem.function, problem.problem, problem.by_tag) == ("api", "index", True)
    assert ("\t- warning : api : its tag v1 now names an image index, which Lambda cannot run: deploying that tag fails"
            in lines_under(dry_run().report, "app"))


def test_a_function_whose_image_or_repository_is_gone_is_warned(seed):
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v2"], 1, 1), ImageSpec(["v1"], 1, 9)],
                                             "old": [ImageSpec(["v1"], 1, 90)]})
    region.functions = [FunctionSpec("pinned", ("app", "@1"), last_run_days_ago=1),
                        FunctionSpec("legacy", ("old", "v1"), last_run_days_ago=100)]
    seeder = seed([region])
    ecr = boto3.client("ecr", region_name=SEOUL)
    ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageDigest": seeder.digests[(SEOUL, "app")][1]}])
    ecr.delete_repository(repositoryName="old", force=True)
    report = dry_run().report
    lines = summary(report)
    start = lines.index("Functions whose image will not run : 2")
    assert lines[start + 1:] == [
        f"- {SEOUL} legacy : its repository old no longer exists: its next cold start fails",
        f"- {SEOUL} pinned : its image app@{seeder.digests[(SEOUL, 'app')][1][:19]} is no longer in ECR:"
        " its next cold start fails"]


def test_an_index_manifest_that_cannot_be_read_is_said_and_nothing_is_guessed(storage_account, aws):
    aws.layer.fail(operation="BatchGetImage", code="AccessDeniedException", message="not authorized to BatchGetImage")
    result = dry_run()
    line = repo_line(result.report, "web")
    assert "/ images : 3 (untagged 0, 0.000 GB, 2 not judged) /" in line
    assert lines_under(result.report, "web") == [
        "\t- kinds : 1 index, 0 platform images known / 1 index manifest not read (1 failed, see ERRORS)"]
    assert ("- ECR ap-northeast-2/web index manifests : BatchGetImage AccessDeniedException: not authorized to"
            " BatchGetImage") in result.report
    assert "/ repository size : 0.580 GB /" in line  # sizes need no manifest


def test_an_archived_index_is_not_read_and_what_it_may_hold_is_not_judged(seed, aws):
    region = RegionSpec(SEOUL, repositories={"web": [
        ImageSpec(["1.0"], 0, 100, platforms=(("linux/amd64", 300 * MB), ("linux/arm64", 280 * MB)),
                  archived_days_ago=5)]})
    seed([region])
    report = dry_run().report
    assert aws.layer.calls[("BatchGetImage", SEOUL)] == 0  # an archived manifest cannot be read
    assert "/ images : 3 (untagged 0, 0.000 GB, 2 not judged) /" in repo_line(report, "web")
    assert "1 index manifest not read (1 archived)" in lines_under(report, "web")[1]


def test_index_manifests_are_read_for_indexes_only_up_to_100_a_call(seed, aws):
    index = ImageSpec([], 0, 1, platforms=(("linux/amd64", 1),))
    region = RegionSpec(SEOUL, repositories={
        "many": [ImageSpec([f"v{n}"], 0, 1, platforms=(("linux/amd64", 1),)) for n in range(101)] + [index],
        "plain": [ImageSpec(["v1"], 1, 1)]})
    seed([region])
    result = dry_run()
    assert aws.layer.calls[("BatchGetImage", SEOUL)] == 2  # 102 indexes, nothing else
    many = result.inventory.ecr[SEOUL].repositories[0]
    assert len(many.index_children) == 102 and len(many.platform_images) == 102 and len(many.untagged) == 2


def test_deletion_candidates_free_active_and_archived_bytes_and_note_the_archive_minimum(seed):
    region = RegionSpec(SEOUL, repositories={
        "retired": [ImageSpec(["v2"], 1 * GB, 300), ImageSpec(["v1"], 2 * GB, 400, archived_days_ago=30)]})
    seeder = seed([region])
    result = dry_run(archive_price_per_gb_month=0.05)
    [candidate] = [line for line in result.report.split("\n") if line.startswith("- ap-northeast-2 retired :")]
    # 1 GB active at $0.10 and 2 GB archived at $0.05; the archive bills 90 days, deleted or not
    assert candidate == ("- ap-northeast-2 retired : 3.000 GB, $0.20 per month : no function or other consumer uses"
                         " it, its last push was 300 days ago (over 183) and it was never pulled;"
                         " 2.000 GB of it, archived under 90 days"
                         f" ago, is billed until {kst(seeder.now + 60 * DAY)} even if deleted")
    assert "DELETION CANDIDATES : 1 repositories, 3.000 GB, $0.20 per month" in result.report
    document = json.loads(render(result, "json"))
    [record] = document["deletion_candidates"]
    assert (record["size_bytes"], record["archived_size_bytes"], record["archive_minimum_bytes"]) == (3 * GB, 2 * GB, 2 * GB)
    assert record["monthly_cost_usd"] == 0.2


def test_exports_carry_every_image_with_its_status_kind_and_last_archived_at(storage_account):
    result = dry_run()
    document = json.loads(render(result, "json"))
    assert document["schema_version"] == 2
    assert document["settings"]["archive_price_per_gb_month"] == 0.10
    jobs = next(r for r in document["repositories"] if r["name"] == "jobs")
    assert (jobs["active_image_count"], jobs["archived_image_count"]) == (1, 1)
    assert (jobs["active_size_bytes"], jobs["archived_size_bytes"]) == (700 * MB, 600 * MB)
    archived = jobs["images"][1]
    assert (archived["status"], archived["kind"], archived["untagged"]) == ("ARCHIVED", "image", False)
    assert archived["last_archived_at"].endswith("+00:00")
    web = next(r for r in document["repositories"] if r["name"] == "web")
    index = next(image for image in web["images"] if image["kind"] == "index")
    assert (index["size_bytes"], index["stored_bytes"]) == (300 * MB, 0)
    assert sorted(index["manifests"]) == sorted(storage_account.platforms[index["digest"]])
    signed = next(r for r in document["repositories"] if r["name"] == "signed")
    referrers = [image for image in signed["images"] if image["kind"] == "referrer"]
    assert [(image["artifact_media_type"], image["untagged"]) for image in referrers] == [(SIGNATURE, False), (SBOM, False)]
    assert document["summary"]["archived_images"] == 1 and document["summary"]["functions_whose_image_will_not_run"] == 1
    nightly = next(f for f in document["functions"] if f["name"] == "nightly")
    assert [p["problem"] for p in nightly["image_problems"]] == ["archived"]
    rows = list(csv.DictReader(io.StringIO(render(result, "csv"))))
    assert [(row["repository"], row["status"], row["kind"]) for row in rows if row["repository"] == "jobs"] == [
        ("jobs", "ACTIVE", "image"), ("jobs", "ARCHIVED", "image")]
    assert [row["last_archived_at"] == archived["last_archived_at"] for row in rows if row["status"] == "ARCHIVED"] == [True]


def test_the_reports_own_index_reads_never_show_as_a_pull(storage_account, aws):
    platforms = storage_account.platforms
    [index] = platforms
    aws.layer.ecr.image_overrides[platforms[index][0]]["lastRecordedPullTime"] = storage_account.now - 10 * DAY
    dry_run()  # reads the index manifest: AWS records a pull of the index
    again = dry_run()
    web = again.inventory.ecr[SEOUL].repositories[0]
    assert next(image for image in web.images if image.is_index).last_pulled_at is not None  # the first run's read
    assert web.last_pulled_at.timestamp() == pytest.approx(storage_account.now - 10 * DAY)


def test_the_reports_index_reads_leave_pull_times_alone_once_its_role_is_excluded(storage_account, aws):
    boto3.client("ecr", region_name=SEOUL).register_pull_time_update_exclusion(
        principalArn="arn:aws:iam::123456789012:user/testing")  # the simulated caller of the test's access key
    dry_run()
    web = dry_run().inventory.ecr[SEOUL].repositories[0]
    assert [image.last_pulled_at for image in web.images if image.is_index] == [None]


def test_the_manual_objects_keep_what_index_manifests_hold(storage_account):
    client = boto3.client("ecr", region_name=SEOUL)
    region = get_region_ecr_object(client, SEOUL)
    web = next(repository for repository in region["repositories"] if repository["repositoryName"] == "web")
    [(index, children)] = web["indexManifests"].items()
    assert sorted(children) == sorted(storage_account.platforms[index])
    assert [image["imageStatus"] for image in web["images"]] == ["ACTIVE"] * 3
    line = get_repository_string(boto3.client("logs", region_name=SEOUL), web, [], {})
    assert "/ images : 3 (untagged 0, 0.000 GB) /" in line


def test_archive_price_is_a_checked_setting(aws, monkeypatch):
    monkeypatch.setenv("ECR_ARCHIVE_PRICE_PER_GB_MONTH", "cheap")
    with pytest.raises(ReportError, match="env var ECR_ARCHIVE_PRICE_PER_GB_MONTH must be a number, got 'cheap'"):
        dry_run()
    monkeypatch.setenv("ECR_ARCHIVE_PRICE_PER_GB_MONTH", "0.07")
    assert dry_run().settings.thresholds.archive_price_per_gb_month == 0.07
    assert dry_run(archive_price_per_gb_month=0.01).settings.thresholds.archive_price_per_gb_month == 0.01
