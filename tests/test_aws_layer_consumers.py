"""The simulated AWS's consumer services (devtools/aws/: ecs.py, batch.py, eks.py, codebuild.py, sagemaker.py,
apprunner.py): where moto 5.2.5's ECS, Batch, EKS, CodeBuild and SageMaker differ from AWS the layer answers
as AWS does, and it answers App Runner, which moto lacks."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from moto.ecs.responses import EC2ContainerServiceResponse

from devtools.aws.quotas import AWS_RATE_QUOTAS
from devtools.aws.server import LayeredMotoServer
from devtools.simulated_account import manifest_for

ACCOUNT = "123456789012"
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def server(aws_server: LayeredMotoServer) -> LayeredMotoServer:
    """The session's layered moto server (conftest's), reset around every test here."""
    return aws_server


@pytest.fixture(autouse=True)
def clean(server: LayeredMotoServer) -> Iterator[None]:
    server.reset()
    yield


def client(server: LayeredMotoServer, service: str, region: str = "us-east-1", config: Config | None = None) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=server.endpoint_url, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=config)


def repository_image(server: LayeredMotoServer, region: str, name: str, tag: str, index: int = 0) -> tuple[str, str]:
    """(tag URI, digest) of an image pushed to a new or existing repository."""
    ecr = client(server, "ecr", region)
    try:
        ecr.create_repository(repositoryName=name)
    except ClientError:
        pass
    digest = ecr.put_image(repositoryName=name, imageTag=tag,
                           imageManifest=manifest_for(f"{region}/{name}/{index}"))["image"]["imageId"]["imageDigest"]
    return f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}:{tag}", digest


def register(ecs: Any, family: str, *images: str) -> str:
    containers = [{"name": f"c{i}", "image": image, "memory": 64} for i, image in enumerate(images)]
    return ecs.register_task_definition(family=family, containerDefinitions=containers)["taskDefinition"][
        "taskDefinitionArn"]


# ---- ECS -------------------------------------------------------------------------


def test_ecs_listings_page_like_aws(server: LayeredMotoServer) -> None:
    ecs = client(server, "ecs")
    ecs.create_cluster(clusterName="paged")
    register(ecs, "svc", "nginx:1")
    for index in range(23):
        ecs.create_service(cluster="paged", serviceName=f"s{index:02d}", taskDefinition="svc:1", desiredCount=0)
    first = ecs.list_services(cluster="paged")
    assert len(first["serviceArns"]) == 10 and first["nextToken"]  # ListServices: 10 a page by default
    assert len(ecs.list_services(cluster="paged", maxResults=100)["serviceArns"]) == 23
    pages = ecs.get_paginator("list_services").paginate(cluster="paged", PaginationConfig={"PageSize": 7})
    assert [len(page["serviceArns"]) for page in pages] == [7, 7, 7, 2]
    with pytest.raises(ClientError) as err:
        ecs.list_services(cluster="paged", nextToken="not-ours")
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


def test_list_task_definitions_sorts_newest_first_when_asked(server: LayeredMotoServer) -> None:
    ecs = client(server, "ecs")
    for _ in range(4):
        register(ecs, "web", "nginx:1")
    register(ecs, "api", "nginx:1")
    ecs.deregister_task_definition(taskDefinition="web:3")
    newest = ecs.list_task_definitions(familyPrefix="web", status="ACTIVE", sort="DESC", maxResults=2)
    assert [arn.rsplit("/", 1)[1] for arn in newest["taskDefinitionArns"]] == ["web:4", "web:2"]
    every = ecs.list_task_definitions()["taskDefinitionArns"]
    assert [arn.rsplit("/", 1)[1] for arn in every] == ["api:1", "web:1", "web:2", "web:4"]


def test_a_service_being_updated_keeps_its_previous_deployment_active(server: LayeredMotoServer) -> None:
    ecs = client(server, "ecs")
    ecs.create_cluster(clusterName="prod")
    old, new = register(ecs, "web", "nginx:1"), register(ecs, "web", "nginx:2")
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web:1", desiredCount=2)
    ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")
    [service] = ecs.describe_services(cluster="prod", services=["web"])["services"]
    assert service["taskDefinition"] == new
    assert [(d["status"], d["taskDefinition"]) for d in service["deployments"]] == [("PRIMARY", new), ("ACTIVE", old)]


def test_a_task_runs_every_container_pinned_to_the_digest_its_tag_had_when_it_started(server: LayeredMotoServer) -> None:
    ecs = client(server, "ecs", "eu-west-2")
    image, first = repository_image(server, "eu-west-2", "team/app", "live")
    register(ecs, "two", image, "public.ecr.aws/nginx/nginx:stable")
    ecs.create_cluster(clusterName="jobs")
    [task] = ecs.run_task(cluster="jobs", taskDefinition="two:1", launchType="FARGATE")["tasks"]
    _, second = repository_image(server, "eu-west-2", "team/app", "live", index=1)  # the tag moves on
    assert second != first
    for _ in range(3):  # moto moves a task towards STOPPED at each describe; AWS keeps it RUNNING
        [described] = ecs.describe_tasks(cluster="jobs", tasks=[task["taskArn"]])["tasks"]
    assert described["lastStatus"] == "RUNNING"
    assert [(c["name"], c["image"], c.get("imageDigest")) for c in described["containers"]] == [
        ("c0", image, first), ("c1", "public.ecr.aws/nginx/nginx:stable", None)]


@pytest.mark.slow
def test_ecs_describes_side_by_side_never_meet_a_fault_of_moto_s_own(server: LayeredMotoServer) -> None:
    # moto's ECS answers share one class-level dict that a describe adds its key to the first time it
    # runs; a describe answered meanwhile failed with "dictionary changed size during iteration" (500),
    # which the report retried and a test then counted as a call. Each round starts as a new server does.
    ecs = client(server, "ecs", config=Config(retries={"total_max_attempts": 1}, max_pool_connections=16))
    ecs.create_cluster(clusterName="busy")
    register(ecs, "web", "nginx:1", "nginx:2")
    for index in range(10):
        ecs.create_service(cluster="busy", serviceName=f"s{index}", taskDefinition="web:1", desiredCount=0)
    tasks = [task["taskArn"] for task in ecs.run_task(cluster="busy", taskDefinition="web:1", count=10,
                                                      launchType="FARGATE")["tasks"]]
    services = ecs.list_services(cluster="busy")["serviceArns"]
    shared = EC2ContainerServiceResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER
    first_run = dict(shared)

    def describe(index: int) -> int:
        if index % 3 == 0:
            return len(ecs.describe_tasks(cluster="busy", tasks=tasks)["tasks"])
        if index % 3 == 1:
            return len(ecs.describe_clusters(clusters=["busy"])["clusters"]) * 10
        return len(ecs.describe_services(cluster="busy", services=services)["services"])

    described = []
    with ThreadPoolExecutor(16) as pool:
        for _ in range(15):
            shared.clear()
            shared.update(first_run)
            described += pool.map(describe, range(32))
    assert described == [10] * len(described) and server.layer.moto_faults == []


# ---- Batch, EKS ----------------------------------------------------------------------


def test_batch_keeps_ecs_properties_and_pages_job_definitions(server: LayeredMotoServer) -> None:
    batch = client(server, "batch")
    ecs_properties = {"taskProperties": [{"containers": [{"name": "main", "image": "repo/ecs:1"}]}]}
    batch.register_job_definition(jobDefinitionName="on-ecs", type="container", ecsProperties=ecs_properties)
    for index in range(3):
        batch.register_job_definition(jobDefinitionName=f"plain-{index}", type="container",
                                      containerProperties={"image": "repo/plain:1", "vcpus": 1, "memory": 128})
    pages = list(batch.get_paginator("describe_job_definitions").paginate(
        status="ACTIVE", PaginationConfig={"PageSize": 3}))
    assert [len(page["jobDefinitions"]) for page in pages] == [3, 1]
    on_ecs = next(d for page in pages for d in page["jobDefinitions"] if d["jobDefinitionName"] == "on-ecs")
    assert on_ecs["ecsProperties"] == ecs_properties and "containerProperties" not in on_ecs


def test_eks_describe_cluster_answers_with_the_endpoint_and_ca_given(server: LayeredMotoServer) -> None:
    eks = client(server, "eks", "ap-south-1")
    eks.create_cluster(name="shop", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    server.layer.eks.clusters[("ap-south-1", "shop")] = {
        "endpoint": "https://127.0.0.1:6443", "certificateAuthority": {"data": "Q0E="}}
    cluster = eks.describe_cluster(name="shop")["cluster"]
    assert (cluster["endpoint"], cluster["certificateAuthority"]) == ("https://127.0.0.1:6443", {"data": "Q0E="})
    assert eks.list_clusters()["clusters"] == ["shop"]
    assert server.layer.calls[("DescribeCluster", "ap-south-1")] == 1  # REST operations are named as AWS names them
    assert server.layer.calls[("ListClusters", "ap-south-1")] == 1


# ---- App Runner ----------------------------------------------------------------------


def test_app_runner_services_are_created_listed_described_paused_and_deleted(server: LayeredMotoServer) -> None:
    runner = client(server, "apprunner", "eu-west-1")
    source = {"ImageRepository": {"ImageIdentifier": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/web:v1",
                                  "ImageRepositoryType": "ECR"}}
    arns = [runner.create_service(ServiceName=f"site-{i:02d}", SourceConfiguration=source)["Service"]["ServiceArn"]
            for i in range(23)]
    assert len(runner.list_services()["ServiceSummaryList"]) == 23  # no MaxResults: every one, as documented
    first = runner.list_services(MaxResults=20)
    second = runner.list_services(MaxResults=20, NextToken=first["NextToken"])
    assert (len(first["ServiceSummaryList"]), len(second["ServiceSummaryList"])) == (20, 3)
    assert "NextToken" not in second
    described = runner.describe_service(ServiceArn=arns[0])["Service"]
    assert (described["ServiceName"], described["SourceConfiguration"], described["Status"]) == (
        "site-00", source, "RUNNING")
    runner.pause_service(ServiceArn=arns[0])
    assert runner.describe_service(ServiceArn=arns[0])["Service"]["Status"] == "PAUSED"
    runner.delete_service(ServiceArn=arns[1])
    with pytest.raises(ClientError) as err:
        runner.describe_service(ServiceArn=arns[1])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert client(server, "apprunner", "us-east-2").list_services()["ServiceSummaryList"] == []  # per region
    with pytest.raises(ClientError) as err:
        runner.create_service(ServiceName="site-00", SourceConfiguration=source)
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"


# ---- CodeBuild and SageMaker -----------------------------------------------------------


def project(codebuild: Any, name: str, image: str) -> None:
    codebuild.create_project(name=name, source={"type": "S3", "location": "builds/source.zip"},
                             artifacts={"type": "NO_ARTIFACTS"}, serviceRole=f"arn:aws:iam::{ACCOUNT}:role/build",
                             environment={"type": "LINUX_CONTAINER", "image": image, "computeType": "BUILD_GENERAL1_SMALL"})


def test_codebuild_pages_projects_and_batch_gets_at_most_100_naming_what_it_did_not_find(
        server: LayeredMotoServer) -> None:
    codebuild = client(server, "codebuild", config=NO_RETRY)
    for index in range(103):
        project(codebuild, f"p{index:03d}", f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/build:v{index}")
    first = codebuild.list_projects()
    assert len(first["projects"]) == 100 and first["nextToken"]  # ListProjects: 100 names a page
    assert len(codebuild.list_projects(nextToken=first["nextToken"])["projects"]) == 3
    with pytest.raises(ClientError) as err:
        codebuild.batch_get_projects(names=[f"p{index:03d}" for index in range(101)])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    answer = codebuild.batch_get_projects(names=["p000", "gone"])
    assert [p["environment"]["image"] for p in answer["projects"]] == [
        f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/build:v0"]
    assert answer["projectsNotFound"] == ["gone"]


def test_sagemaker_lists_models_and_endpoints_in_pages_of_summaries(server: LayeredMotoServer) -> None:
    sagemaker = client(server, "sagemaker", config=NO_RETRY)
    image = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/model:v1"
    for index in range(12):
        sagemaker.create_model(ModelName=f"m{index:02d}", PrimaryContainer={"Image": image},
                               ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm")
        sagemaker.create_endpoint_config(EndpointConfigName=f"c{index:02d}", ProductionVariants=[{
            "VariantName": "all", "ModelName": f"m{index:02d}", "InitialInstanceCount": 1,
            "InstanceType": "ml.t2.medium"}])
        sagemaker.create_endpoint(EndpointName=f"e{index:02d}", EndpointConfigName=f"c{index:02d}")
    first = sagemaker.list_models()
    assert len(first["Models"]) == 10 and first["NextToken"]  # 10 a page by default
    assert set(first["Models"][0]) == {"ModelName", "ModelArn", "CreationTime"}  # a summary, not the model
    assert len(sagemaker.list_models(NextToken=first["NextToken"])["Models"]) == 2
    assert len(sagemaker.list_models(MaxResults=100)["Models"]) == 12
    endpoints = sagemaker.list_endpoints()
    assert len(endpoints["Endpoints"]) == 10 and endpoints["NextToken"]
    assert sagemaker.describe_model(ModelName="m00")["PrimaryContainer"]["Image"] == image
    with pytest.raises(ClientError) as err:
        sagemaker.describe_model(ModelName="gone")
    assert err.value.response["Error"]["Code"] == "ValidationException"  # as SageMaker answers a missing model


# ---- failures and quotas -----------------------------------------------------------------


def test_a_failure_can_name_the_service_of_an_operation_two_services_share(server: LayeredMotoServer) -> None:
    server.layer.fail(service="apprunner", operation="ListServices", message="no apprunner:ListServices")
    ecs = client(server, "ecs", config=NO_RETRY)
    ecs.create_cluster(clusterName="shared")
    assert ecs.list_services(cluster="shared")["serviceArns"] == []  # ECS's ListServices still answers
    with pytest.raises(ClientError) as err:
        client(server, "apprunner", config=NO_RETRY).list_services()
    assert err.value.response["Error"]["Message"] == "no apprunner:ListServices"


def test_ecs_quotas_let_a_burst_through_then_throttle_at_the_sustained_rate(server: LayeredMotoServer) -> None:
    ecs = client(server, "ecs", "ca-central-1", NO_RETRY)
    ecs.list_clusters()  # moto builds the region's backend
    now = [5000.0]
    server.layer.clock = lambda: now[0]
    server.layer.rate_quotas = AWS_RATE_QUOTAS

    def outcomes(call: Any, times: int) -> list[str]:
        answers = []
        for _ in range(times):
            try:
                call()
                answers.append("answered")
            except ClientError as exc:
                answers.append(exc.response["Error"]["Code"])
        return answers

    assert outcomes(ecs.list_clusters, 51) == ["answered"] * 50 + ["ThrottlingException"]  # cluster reads: burst 50
    assert outcomes(lambda: ecs.list_task_definitions(), 1) == ["answered"]  # another category, another bucket
    now[0] += 0.5  # refills at 20 a second
    assert outcomes(ecs.list_clusters, 11) == ["answered"] * 10 + ["ThrottlingException"]
    events = client(server, "events", "ca-central-1", NO_RETRY)
    assert outcomes(events.list_rules, 25) + outcomes(events.list_event_buses, 26) == \
        ["answered"] * 50 + ["ThrottlingException"]  # EventBridge: 50 a second across its control plane
