"""tools/package.py: the zip holds what Lambda needs and nothing else, is reproducible, and runs alone."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.simulated_account import demo_account

pytestmark = pytest.mark.slow  # every test here builds or unzips the package
ROOT = Path(__file__).resolve().parent.parent
PRODUCT_MODULES = sorted(path.name for path in ROOT.glob("*.py"))
ENGINE_MODULES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "ecr_usage_report").rglob("*.py"))
SHIPPED_PACKAGES = ("requests", "certifi", "charset_normalizer", "idna", "urllib3")
NEVER_SHIPPED = ("boto3/", "botocore/", "tests/", "devtools/", "bench/", "tools/")
BUILD_TIMEOUT_SECONDS = 120

# Runs in a fresh Python whose only extra import path is the unzipped package, like /var/task on
# Lambda; boto3 comes from the interpreter's own site-packages, as the Lambda runtime provides it.
SMOKE_RUN = """
import importlib.util, json, sys
task = sys.argv[1]
assert importlib.util.find_spec("devtools") is None, "the repo's devtools are importable"
import boto3, ecr_usage_report, lambda_function, requests
assert lambda_function.__file__.startswith(task), lambda_function.__file__
assert ecr_usage_report.__file__.startswith(task), ecr_usage_report.__file__
assert requests.__file__.startswith(task), requests.__file__
assert not boto3.__file__.startswith(task), boto3.__file__
print(json.dumps(lambda_function.lambda_handler({}, None)))
"""


@dataclass
class Build:
    """One run of tools/package.py."""

    zip_path: Path
    folder: Path
    stdout: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.zip_path.read_bytes()).hexdigest()

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.zip_path) as archive:
            return archive.namelist()


def run_package(out_dir: Path) -> Build:
    """Build into out_dir (needs PyPI, or pip's cache, for requests and its dependencies)."""
    zip_path, folder = out_dir / "ecr-usage-report.zip", out_dir / "package"
    command = [sys.executable, str(ROOT / "tools" / "package.py"), "--out", str(zip_path), "--build-dir", str(folder)]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, cwd=out_dir)
    assert result.returncode == 0, f"tools/package.py failed:\n{result.stdout}{result.stderr}"
    return Build(zip_path, folder, result.stdout)


def sam_build(artifacts: Path) -> Path:
    """What `sam build` does with the template's BuildMethod makefile: the function's Makefile target, with
    ARTIFACTS_DIR set, in this checkout's virtualenv."""
    artifacts.mkdir(parents=True, exist_ok=True)
    venv = Path(sys.executable).parent.parent
    # -o: the virtualenv running this test is set up, whatever the timestamps of the requirements say
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "-o", f"{venv}/.installed", "build-ReportFunction",
                             f"ARTIFACTS_DIR={artifacts}", f"VENV={venv}"],
                            check=False, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS)
    assert result.returncode == 0, f"make build-ReportFunction failed:\n{result.stdout}{result.stderr}"
    return artifacts


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build]:
    """Two independent builds, made once for this module."""
    return run_package(tmp_path_factory.mktemp("first")), run_package(tmp_path_factory.mktemp("second"))


def test_manual_modules_at_the_root_the_engine_beside_them_with_requests(builds):
    names = builds[0].names()
    assert sorted(name for name in names if "/" not in name) == PRODUCT_MODULES
    assert sorted(name for name in names if name.startswith("ecr_usage_report/")) == ENGINE_MODULES
    for package in SHIPPED_PACKAGES:
        assert f"{package}/__init__.py" in names, f"{package} missing from the zip"


def test_nothing_the_runtime_provides_or_only_the_repo_needs(builds):
    names = builds[0].names()
    assert [name for name in names if name.startswith(NEVER_SHIPPED)] == []
    assert [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".so"))] == []
    assert [name for name in names if name.startswith("bin/") or name.endswith(".dist-info/RECORD")] == []


def test_two_builds_are_byte_identical(builds):
    first, second = builds
    assert first.sha256 == second.sha256
    assert f"sha256: {first.sha256}" in first.stdout
    assert f"size: {first.zip_path.stat().st_size} bytes" in first.stdout


def test_entries_have_fixed_dates_and_permissions(builds):
    with zipfile.ZipFile(builds[0].zip_path) as archive:
        entries = archive.infolist()
    assert [entry.filename for entry in entries] == sorted(entry.filename for entry in entries)
    assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert {entry.external_attr >> 16 for entry in entries} == {0o100644}


def test_the_folder_sam_deploys_matches_the_zip(builds):
    build = builds[0]
    files = sorted(path.relative_to(build.folder).as_posix() for path in build.folder.rglob("*") if path.is_file())
    assert files == build.names()


def test_sam_build_fills_its_folder_with_exactly_what_the_zip_holds(builds, tmp_path):
    folder = sam_build(tmp_path / "sam")
    files = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    with zipfile.ZipFile(builds[0].zip_path) as archive:
        assert files == {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("built_by", ["make package", "sam build"])
def test_the_built_package_runs_alone_and_posts_the_report(builds, aws, seed, slack, tmp_path, built_by):
    task = tmp_path / "task"
    if built_by == "sam build":
        sam_build(task)
    else:
        with zipfile.ZipFile(builds[0].zip_path) as archive:
            archive.extractall(task)
    seed(demo_account())
    passed = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
              "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "EMAIL")
    env = {name: os.environ[name] for name in passed}
    env.update(PATH=os.environ["PATH"], PYTHONPATH=str(task), PYTHONUTF8="1", SLACK_DDPS=slack.url,
               REGIONS="ap-northeast-2,us-east-1,us-west-2")
    result = subprocess.run([sys.executable, "-s", "-c", SMOKE_RUN, str(task)], check=False, cwd=task, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["repositories"], summary["messages_sent"], summary["errors"]) == (6, 2, [])
    reports = [text for text in slack.texts() if text.startswith("[ECR repository 사용 현황]")]
    assert len(reports) == 1 and "REGION ap-northeast-2" in reports[0]
