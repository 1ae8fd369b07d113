"""The join of functions to repositories and images (pure; no server)."""
from ecr_usage_report.analysis.join import UsageIndex
from ecr_usage_report.inventory.model import AliasedVersion, Function, Image, Repository
from ecr_usage_report.inventory.references import repository_of

REGION = "ap-northeast-2"
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
DIGEST = "sha256:" + "a" * 64
OLD_DIGEST = "sha256:" + "b" * 64


def repo(name):
    return Repository(name, f"{REGISTRY}/{name}", (), False)


def image(name, digest, *tags):
    base = f"{REGISTRY}/{name}"
    return Image(digest, tags, 1, None, None, (*(f"{base}:{tag}" for tag in tags), f"{base}@{digest}"))


def function(name, image_uri=None, resolved=None, aliased=()):
    return Function(name=name, memory_size=128, last_modified=None, package_type="Image" if image_uri else "Zip",
                    image_uri=image_uri, description="", log_group=f"/aws/lambda/{name}", resolved_image_uri=resolved,
                    aliased_versions=tuple(AliasedVersion(v, ("live",), u, r) for v, u, r in aliased))


def names(functions):
    return [f.name for f in functions]


def test_repository_of_takes_the_part_before_the_tag_or_digest():
    assert repository_of(f"{REGISTRY}/team/app:v1") == f"{REGISTRY}/team/app"
    assert repository_of(f"{REGISTRY}/team/app@{DIGEST}") == f"{REGISTRY}/team/app"
    assert repository_of(f"{REGISTRY}/team/app:v1@{DIGEST}") == f"{REGISTRY}/team/app"
    assert repository_of(f"{REGISTRY}/app") is None  # neither tag nor digest: names no image


def test_nested_and_prefix_named_repositories_are_not_confused():
    functions = [function("uses-app", f"{REGISTRY}/team/app:v1"),
                 function("uses-app-2", f"{REGISTRY}/team/app-2:v1"),
                 function("uses-team", f"{REGISTRY}/team:v1")]
    index = UsageIndex.of({REGION: functions})
    assert names(index.users_of(repo("team/app"))) == ["uses-app"]
    assert names(index.users_of(repo("team/app-2"))) == ["uses-app-2"]
    assert names(index.users_of(repo("team"))) == ["uses-team"]
    assert index.users_of(repo("team/ap")) == ()


def test_users_are_found_by_tag_digest_and_aliased_version_once_each_by_name():
    functions = [
        function("zeta", f"{REGISTRY}/app:latest", f"{REGISTRY}/app@{DIGEST}"),
        function("alpha", f"{REGISTRY}/app@{DIGEST}", f"{REGISTRY}/app@{DIGEST}"),
        function("moved-on", f"{REGISTRY}/other:v2", f"{REGISTRY}/other@{DIGEST}",
                 aliased=[("3", f"{REGISTRY}/app:v1", f"{REGISTRY}/app@{OLD_DIGEST}")]),
        function("zip-function"),
    ]
    index = UsageIndex.of({REGION: functions})
    assert names(index.users_of(repo("app"))) == ["alpha", "moved-on", "zeta"]
    assert names(index.users_of(repo("other"))) == ["moved-on"]
    assert index.image_functions(image("app", DIGEST, "latest")) == ["alpha", "zeta"]
    assert index.image_functions(image("app", OLD_DIGEST, "v1")) == ["moved-on"]
    assert index.image_functions(image("app", "sha256:" + "c" * 64, "unused")) == []


def test_a_function_whose_image_was_deleted_still_uses_the_repository():
    index = UsageIndex.of({REGION: [function("old", f"{REGISTRY}/app:gone", f"{REGISTRY}/app@{OLD_DIGEST}")]})
    assert names(index.users_of(repo("app"))) == ["old"]


def test_the_index_matches_each_functions_own_repositories():
    functions = [function(f"fn-{n}", f"{REGISTRY}/repo-{n % 7}:t{n}", f"{REGISTRY}/repo-{n % 7}@{DIGEST}")
                 for n in range(40)]
    index = UsageIndex.of({REGION: functions})
    for n in range(8):
        one = repo(f"repo-{n}")
        assert index.functions_of(one) == tuple(sorted((f for f in functions if one.uri in f.repository_uris),
                                                   key=lambda f: f.name))
    assert len(index.users_of(repo("repo-0"))) == 6 and index.users_of(repo("repo-7")) == ()
