"""EKS through the Kubernetes API: the local API server (devtools.fake_kubernetes) answers as one does,
and the report reads every page of every namespace with a token EKS accepts, trusting only the
cluster's CA; a cluster that refuses or forbids is named."""
from __future__ import annotations

import base64
import time
from typing import Any

import boto3
import pytest
import requests

from devtools.fake_kubernetes import FakeKubernetes, cronjob, pod, token_problem, workload
from devtools.simulated_account import EksClusterSpec, ImageSpec, RegionSpec, WorkloadSpec
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.inventory import eks
from ecr_usage_report.inventory.kubernetes import TOKEN_PREFIX, KubernetesApi, KubernetesError, bearer_token
from ecr_usage_report.redaction import register_url
from ecr_usage_report.run import run

OREGON = "us-west-2"
ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{OREGON}.amazonaws.com"


@pytest.fixture
def get(kubernetes: FakeKubernetes, tmp_path):
    """get(cluster, path, token, **params): a request to the local API server, trusting its CA."""
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(base64.b64decode(kubernetes.ca_data))

    def request(cluster: str, path: str, token: str | None, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(kubernetes.endpoint(cluster) + path, params=params, headers=headers,
                            verify=str(ca_file), timeout=5)

    return request


def eks_token(aws, cluster: str) -> str:
    return bearer_token(boto3.client("sts", region_name=OREGON), cluster)


# ---- the local API server ------------------------------------------------------------------


def test_the_api_server_refuses_a_request_without_an_eks_token(aws, kubernetes, get):
    kubernetes.add("shop")
    assert get("shop", "/api/v1/pods", None).status_code == 401
    assert get("shop", "/api/v1/pods", "k8s-aws-v1.bm90LWEtdXJs").status_code == 401
    answer = get("shop", "/api/v1/pods", eks_token(aws, "shop"))
    assert answer.status_code == 200 and answer.json()["kind"] == "PodList"


def test_the_api_server_pages_with_limit_and_continue(aws, kubernetes, get):
    kubernetes.add("shop").objects["deployments"] = [workload("web", f"d{i}", ["nginx:1"]) for i in range(5)]
    token = eks_token(aws, "shop")
    first = get("shop", "/apis/apps/v1/deployments", token, limit=2).json()
    second = get("shop", "/apis/apps/v1/deployments", token, limit=2,
                 **{"continue": first["metadata"]["continue"]}).json()
    last = get("shop", "/apis/apps/v1/deployments", token, limit=2,
               **{"continue": second["metadata"]["continue"]}).json()
    names = [item["metadata"]["name"] for page in (first, second, last) for item in page["items"]]
    assert names == ["d0", "d1", "d2", "d3", "d4"] and "continue" not in last["metadata"]


def test_the_api_server_refuses_or_forbids_as_told(aws, kubernetes, get):
    kubernetes.forbid("shop", "pods")
    token = eks_token(aws, "shop")
    forbidden = get("shop", "/api/v1/pods", token)
    assert forbidden.status_code == 403 and forbidden.json()["reason"] == "Forbidden"
    assert get("shop", "/apis/batch/v1/cronjobs", token).status_code == 200
    kubernetes.refuse("shop")
    assert get("shop", "/apis/batch/v1/cronjobs", token).status_code == 401


def test_the_token_is_a_presigned_get_caller_identity_url_that_signs_the_cluster_name(aws):
    token = eks_token(aws, "shop")
    assert token.startswith(TOKEN_PREFIX) and not token.endswith("=")
    url = base64.urlsafe_b64decode(token[len(TOKEN_PREFIX):] + "==").decode()
    assert "Action=GetCallerIdentity" in url and "X-Amz-Expires=60" in url
    assert "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" in url
    assert token_problem(f"Bearer {token}") is None
    assert aws.layer.calls == {}  # presigning asks STS nothing: the API server does


# ---- the EKS reader --------------------------------------------------------------------------


def shop_cluster(seed, workloads: list[WorkloadSpec]) -> None:
    region = RegionSpec(OREGON, repositories={"web": [ImageSpec(["v1"], 10, 400)], "jobs": [ImageSpec(["v1"], 10, 400)]})
    region.eks_clusters = [EksClusterSpec("shop", workloads)]
    seed([region])


def read(aws) -> tuple[list, list]:
    clients = ClientFactory(boto3.Session())
    found, errors = eks.read_cluster(clients.get("eks", OREGON), OREGON, "shop",
                                     sts_client=lambda region: clients.get("sts", region))
    return list(found or ()), errors


def test_every_page_of_pods_in_every_namespace_is_read_and_grouped_by_owner(aws, seed, kubernetes):
    shop_cluster(seed, [WorkloadSpec("deployment", "shop", "web", ("web", "v1"), pods=1001)])
    found, errors = read(aws)
    assert errors == []
    pods = [consumer for consumer in found if consumer.kind == "eks pod"]
    assert [(c.name, c.state) for c in pods] == [("shop/shop/web", "1001 running")]
    asked = [seen.query.get("limit") for seen in kubernetes.received if seen.path.endswith("/api/v1/pods")]
    assert asked == ["500", "500", "500"]  # 1,001 pods in pages of 500
    assert any("@sha256:" in image for image in pods[0].images)  # the digest each container runs


def test_a_forbidden_list_is_named_and_the_others_are_still_read(aws, seed, kubernetes):
    shop_cluster(seed, [WorkloadSpec("cronjob", "jobs", "export", ("jobs", "v1"), last_run_days_ago=3)])
    kubernetes.forbid("shop", "deployments")
    found, errors = read(aws)
    assert [(error.resource, error.message.split(":")[0]) for error in errors] == [("shop deployments",
                                                                                   "Forbidden (HTTP 403)")]
    assert [c.kind for c in found] == ["eks cronjob"]


def test_a_page_that_is_not_a_kubernetes_list_is_named_not_a_crash(aws, seed, kubernetes):
    # A proxy in front of the API server that answers 200 with its sign-in page.
    shop_cluster(seed, [WorkloadSpec("deployment", "shop", "web", ("web", "v1"))])
    kubernetes.garble("shop", "pods")
    found, errors = read(aws)
    assert found == [] and [(error.resource, error.message) for error in errors] == [
        ("shop pods", "HTTP 200: the answer is not a Kubernetes list: <html><body>Sign in to continue</body></html>")]


def test_a_gateway_error_whose_body_is_json_but_not_an_object_is_named_not_a_crash(aws, seed, kubernetes):
    shop_cluster(seed, [WorkloadSpec("deployment", "shop", "web", ("web", "v1"))])
    kubernetes.answer("shop", "pods", 400, ["bad", "gateway"])
    found, errors = read(aws)
    assert [(error.resource, error.message) for error in errors] == [("shop pods", 'HTTP 400: ["bad", "gateway"]')]


def test_a_pod_list_holding_a_null_item_reads_the_other_pods(aws, seed, kubernetes):
    shop_cluster(seed, [])
    kubernetes.answer("shop", "pods", 200, {"kind": "PodList", "metadata": {}, "items": [
        None, "a pod?", pod("shop", "web-1", [f"{REGISTRY}/web:v1"])]})
    found, errors = read(aws)
    assert errors == [] and [(c.kind, c.name) for c in found] == [("eks pod", "shop/shop/web-1")]


def test_an_api_whose_pages_repeat_is_cut_off_and_named_instead_of_followed_forever(aws, seed, kubernetes):
    shop_cluster(seed, [])
    kubernetes.answer("shop", "pods", 200, {"kind": "PodList", "metadata": {"continue": "again"}, "items": []})
    found, errors = read(aws)
    assert [(error.resource, error.message.split(" (")[0]) for error in errors] == [
        ("shop pods", "HTTP 200: the list's pages repeat")]
    assert sum(seen.path.endswith("/api/v1/pods") for seen in kubernetes.received) == 2


@pytest.fixture
def api(aws, kubernetes, tmp_path):
    """api(**limits): the shop cluster's API as the reader opens it, with the limits given."""
    kubernetes.add("shop").objects["pods"] = [pod("shop", f"web-{i}", [f"{REGISTRY}/web:v1"]) for i in range(50)]
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(base64.b64decode(kubernetes.ca_data))
    with requests.Session() as session:
        yield lambda **limits: KubernetesApi(kubernetes.endpoint("shop"), eks_token(aws, "shop"), session,
                                             str(ca_file), **limits)


def test_an_api_that_pages_on_and_on_is_cut_off_at_the_page_limit(api, kubernetes):
    kubernetes.page_forever("shop", "pods")
    with pytest.raises(KubernetesError, match="goes on past 5 pages"):
        api(max_pages=5).list("/api/v1/pods")
    assert len(kubernetes.received) == 5


def test_an_answer_past_the_size_limit_is_refused_before_it_is_held_whole(api):
    assert len(api().list("/api/v1/pods")) == 50
    with pytest.raises(KubernetesError, match="the answer is over 4,096 bytes: not read"):
        api(max_answer_bytes=4096).list("/api/v1/pods")


def test_no_time_left_stops_the_list_instead_of_waiting_on_the_server(api, kubernetes):
    with pytest.raises(KubernetesError, match="no time left"):
        api(deadline=time.monotonic() - 1).list("/api/v1/pods")
    assert kubernetes.received == []


def test_the_clusters_ca_is_trusted_whatever_requests_bundle_the_environment_names(aws, seed, kubernetes, monkeypatch):
    # requests lets REQUESTS_CA_BUNDLE override a session's CA; the cluster's own must win
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    shop_cluster(seed, [WorkloadSpec("deployment", "shop", "web", ("web", "v1"))])
    found, errors = read(aws)
    assert errors == [] and [c.kind for c in found] == ["eks deployment"]


def test_a_cluster_whose_certificate_is_not_its_cas_is_named(aws, seed, kubernetes):
    shop_cluster(seed, [WorkloadSpec("deployment", "shop", "web", ("web", "v1"))])
    other_ca = base64.b64encode(open(requests.certs.where(), "rb").read()).decode()
    aws.layer.eks.clusters[(OREGON, "shop")]["certificateAuthority"] = {"data": other_ca}
    found, errors = read(aws)
    assert found == [] and len(errors) == 1
    assert errors[0].message.startswith("Kubernetes API unreachable: SSLError")
    assert [seen.path for seen in kubernetes.received] == []  # no request went through


def test_workload_templates_and_their_last_runs(aws, kubernetes, seed):
    shop_cluster(seed, [])
    cluster = kubernetes.clusters["shop"]
    cluster.objects["cronjobs"] = [cronjob("jobs", "monthly", [f"{REGISTRY}/jobs:v1"], last_scheduled=1_764_547_200)]
    cluster.objects["statefulsets"] = [workload("db", "pg", [f"{REGISTRY}/web:v1"], replicas=3)]
    cluster.objects["pods"] = [pod("default", "debug", ["busybox"], started=1_764_547_200)]
    found = {consumer.name: consumer for consumer in read(aws)[0]}
    assert found["shop/jobs/monthly"].last_run.isoformat() == "2025-12-01T00:00:00+00:00"
    assert found["shop/jobs/monthly"].state == "schedule 0 0 1 * *"
    assert (found["shop/db/pg"].kind, found["shop/db/pg"].state) == ("eks statefulset", "3 of 3 ready")
    assert found["shop/default/debug"].images == ("busybox",)  # a pod of its own is its own group


def test_a_cluster_still_being_created_is_passed_over(aws, seed, kubernetes):
    shop_cluster(seed, [])
    aws.layer.eks.clusters[(OREGON, "shop")] = {"endpoint": "", "certificateAuthority": {}}
    assert read(aws) == ([], [])


def test_the_report_names_eks_workloads_under_their_repositories(aws, seed, kubernetes, monkeypatch):
    monkeypatch.setenv("REGIONS", OREGON)
    shop_cluster(seed, [WorkloadSpec("deployment", "shop", "web", ("web", "v1"), pods=2),
                        WorkloadSpec("job", "jobs", "backfill", ("jobs", "v1"), last_run_days_ago=30)])
    report = run({"dry_run": True}).report
    assert "\t- eks deployment shop/shop/web / 2 of 2 ready" in report
    assert "\t- eks pod shop/shop/web / last run : " in report
    assert "\t- eks job shop/jobs/backfill / last run : " in report
    assert "DELETION CANDIDATES : 0 repositories" in report


@pytest.mark.slow  # it waits for the deadline: long enough for every other read even on a busy machine
def test_a_kubernetes_api_slower_than_the_time_left_costs_its_clusters_not_the_report(aws, seed, kubernetes_server):
    # an API answering after 40 s with 60 s of the invocation left: Lambda killed the run, nothing was posted
    shop_cluster(seed, [WorkloadSpec("deployment", "shop", "web", ("web", "v1"))])
    kubernetes_server.latency = 300.0  # far past the time left: it cannot answer before the deadline
    try:
        result = run({"dry_run": True, "regions": [OREGON]}, time_left=lambda: 40.0)  # reading ends after 30 s
    finally:
        kubernetes_server.latency = 0.0
    errors = {(error.where, error.message) for error in result.inventory.errors}
    assert (f"EKS {OREGON}", "not read: the invocation's time ran out") in errors
    assert result.findings.candidates == ()  # nothing the deadline cut short is taken for unused
    assert f"- EKS {OREGON} : not read: the invocation's time ran out" in result.report  # the report is there


def test_an_error_answer_that_echoes_a_secret_shows_none_of_it_however_it_is_cut(aws, seed, kubernetes):
    webhook = "https://hooks.slack.com/services/T000/B000/" + "s" * 24
    register_url(webhook)
    shop_cluster(seed, [])
    kubernetes.answer("shop", "pods", 400, {"message": "x" * 130 + f" you sent {webhook} and more"})  # cut mid-path
    found, errors = read(aws)
    [error] = errors
    assert "ssss" not in error.message and "B000" not in error.message and error.message.startswith("HTTP 400: xxx")
