"""Seed moto with a simulated AWS account: ECR images, Lambda functions and their logs, and the other
consumers of images: ECS, scheduled tasks, Batch, App Runner and EKS (on a FakeKubernetes).

Used by the demo, the tests and the benchmark. Push dates, sizes and old log times that moto
cannot store are given to the AwsLayer in front of it, which answers as AWS would.
"""
from __future__ import annotations

import hashlib
import json
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Union

import boto3
from botocore.config import Config

from devtools import fake_kubernetes
from devtools.fake_kubernetes import FakeKubernetes

DAY = 86_400.0
ROLE_NAME = "ecr-usage-report-demo-role"
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
ACCOUNT = "123456789012"
# An image a consumer names: a URI as it is, or (repository, tag or "@<image index>"[, region]) in the account's ECR.
ImageRef = Union[str, tuple[str, str], tuple[str, str, str]]


@dataclass
class ImageSpec:
    """One image: its tags, compressed size and ages.

    With `platforms` ((platform, bytes), ...) it is an image index of untagged platform images
    (`size_bytes` is then unused: AWS sizes an index as its largest platform image). `referrers`
    ((artifact type, bytes), ...) are untagged artifacts pushed with it as their subject (a
    signature, an SBOM). `archived_days_ago` moves it to the archive once the functions exist.
    """

    tags: list[str]
    size_bytes: int
    pushed_days_ago: float
    pulled_days_ago: float | None = None
    archived_days_ago: float | None = None
    platforms: tuple[tuple[str, int], ...] = ()
    referrers: tuple[tuple[str, int], ...] = ()


@dataclass
class FunctionSpec:
    """One function. `image` is (repository, tag) or (repository, "@<image index>") for a digest pin;
    None makes a Zip function. `last_run_days_ago` None means no log group at all;
    `no_streams` makes an empty log group. `versions` are published after creation, and
    `aliases` point at the newest (so need a version)."""

    name: str
    image: tuple[str, str] | None = None
    last_run_days_ago: float | None = None
    log_group: str | None = None
    no_streams: bool = False
    memory: int = 512
    versions: int = 0
    aliases: tuple[str, ...] = ()
    moved_to: tuple[str, str] | None = None  # after publishing, $LATEST runs this image (the versions keep theirs)


@dataclass
class EcsServiceSpec:
    """An ECS service on `task_definition` ("family:revision"); `previous`: a rollout from it is under way."""

    name: str
    task_definition: str
    previous: str | None = None
    desired: int = 1


@dataclass
class EcsClusterSpec:
    """An ECS cluster, its services, and tasks run on their own (each a "family:revision")."""

    name: str
    services: list[EcsServiceSpec] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


@dataclass
class ScheduledTaskSpec:
    """An EventBridge rule (or, with `scheduler`, an EventBridge Scheduler schedule) that runs an ECS task."""

    name: str
    task_definition: str  # "family" (its latest ACTIVE revision) or "family:revision"
    scheduler: bool = False
    cluster: str = "default"
    expression: str = "cron(0 0 1 * ? *)"


@dataclass
class BatchJobSpec:
    """An AWS Batch job definition; `properties`: "container", "ecs" or "eks". Each revision runs `image`."""

    name: str
    image: ImageRef
    properties: str = "container"
    revisions: int = 1


@dataclass
class AppRunnerSpec:
    """An App Runner service whose source is an image."""

    name: str
    image: ImageRef
    paused: bool = False


@dataclass
class CodeBuildSpec:
    """A CodeBuild project whose builds run in `image`."""

    name: str
    image: ImageRef


@dataclass
class SageMakerModelSpec:
    """A SageMaker model of one container, and the endpoints that serve it (each with its own config)."""

    name: str
    image: ImageRef
    endpoints: tuple[str, ...] = ()


@dataclass
class WorkloadSpec:
    """A Kubernetes workload: "deployment", "statefulset", "daemonset", "job", "cronjob" or "pod". A
    Deployment's `pods` run through a ReplicaSet and report the digest they run."""

    kind: str
    namespace: str
    name: str
    image: ImageRef
    pods: int = 0
    last_run_days_ago: float | None = None


@dataclass
class EksClusterSpec:
    """An EKS cluster, served by a FakeKubernetes."""

    name: str
    workloads: list[WorkloadSpec] = field(default_factory=list)


@dataclass
class RegionSpec:
    """What one region holds."""

    name: str
    repositories: dict[str, list[ImageSpec]] = field(default_factory=dict)
    functions: list[FunctionSpec] = field(default_factory=list)
    task_definitions: dict[str, list[list[ImageRef]]] = field(default_factory=dict)  # family -> each revision's images
    inactive: list[str] = field(default_factory=list)  # "family:revision" deregistered
    ecs_clusters: list[EcsClusterSpec] = field(default_factory=list)
    scheduled_tasks: list[ScheduledTaskSpec] = field(default_factory=list)
    batch_jobs: list[BatchJobSpec] = field(default_factory=list)
    app_runner: list[AppRunnerSpec] = field(default_factory=list)
    eks_clusters: list[EksClusterSpec] = field(default_factory=list)
    lifecycle_policies: dict[str, str] = field(default_factory=dict)  # repository -> its lifecycle policy text
    repository_policies: dict[str, str] = field(default_factory=dict)  # repository -> its repository policy text
    codebuild_projects: list[CodeBuildSpec] = field(default_factory=list)
    sagemaker_models: list[SageMakerModelSpec] = field(default_factory=list)
    created_days_ago: dict[str, float] = field(default_factory=dict)  # repository -> how long ago it was created


def manifest_for(key: str) -> str:
    """A distinct, valid image manifest for a key."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469, "digest": f"sha256:{digest}"},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1000, "digest": f"sha256:{digest[::-1]}"}],
    })


def oci_manifest_for(key: str, artifact_type: str | None = None, subject: dict | None = None) -> str:
    """A distinct OCI image manifest; with a subject descriptor, a referrer of that artifact type."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST_TYPE,
        "config": {"mediaType": OCI_EMPTY_TYPE if subject else OCI_CONFIG_TYPE, "size": 2, "digest": f"sha256:{digest}"},
        "layers": [{"mediaType": artifact_type or "application/vnd.oci.image.layer.v1.tar+gzip", "size": 1000,
                    "digest": f"sha256:{digest[::-1]}"}],
    }
    if artifact_type:
        manifest["artifactType"] = artifact_type
    if subject:
        manifest["subject"] = subject
    return json.dumps(manifest)


def index_manifest_for(platforms: list[tuple[str, str, str]]) -> str:
    """An OCI image index of (platform "os/arch", manifest, its digest) entries."""
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX_TYPE, "manifests": [
        {"mediaType": OCI_MANIFEST_TYPE, "digest": digest, "size": len(manifest.encode()),
         "platform": dict(zip(("os", "architecture"), platform.split("/", 1)))}
        for platform, manifest, digest in platforms]})


def zip_bytes() -> bytes:
    """A tiny deployment package for Zip functions."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return 'ok'\n")
    return buffer.getvalue()


class Seeder:
    """Writes RegionSpecs into moto through its HTTP API."""

    def __init__(self, endpoint_url: str, layer: Any = None, now: float | None = None, workers: int = 8,
                 kubernetes: FakeKubernetes | None = None, credentials: tuple[str, str, str] | None = None,
                 account: str = ACCOUNT) -> None:
        """`credentials` (key, secret, token) and `account`: another account's, from STS AssumeRole."""
        self.endpoint_url = endpoint_url
        self.account = account
        self.layer = layer
        self.kubernetes = kubernetes  # serves the EKS clusters' Kubernetes APIs
        self.now = now or time.time()
        self.workers = workers
        key, secret, token = credentials or ("testing", "testing", None)
        self.session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
        self.config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=workers * 2)
        self.digests: dict[tuple[str, str], list[str]] = {}  # (region, repository) -> digest per image
        self.platforms: dict[str, list[str]] = {}  # an index's digest -> its platform images' digests
        self.referrers: dict[str, list[str]] = {}  # a subject's digest -> its referrers' digests

    def client(self, service: str, region: str) -> Any:
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=self.config)

    def seed(self, regions: list[RegionSpec]) -> None:
        """Create everything; images first, since functions point at them."""
        role = self.role_arn()
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(self.seed_repositories, regions))
            list(pool.map(lambda spec: self.seed_functions(spec, role), regions))
            list(pool.map(lambda spec: self.seed_consumers(spec, role), regions))
        self.archive(regions)

    def role_arn(self) -> str:
        iam = self.client("iam", "us-east-1")
        try:
            return iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            return iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument="{}")["Role"]["Arn"]

    def seed_repositories(self, spec: RegionSpec) -> None:
        ecr = self.client("ecr", spec.name)
        for name, images in spec.repositories.items():
            ecr.create_repository(repositoryName=name)
            if name in spec.created_days_ago and self.layer is not None:
                self.layer.ecr.repository_overrides[(spec.name, name)] = {
                    "createdAt": self.now - spec.created_days_ago[name] * DAY}
            self.digests[(spec.name, name)] = [self.push(ecr, spec.name, name, index, image) for index, image in enumerate(images)]
            if name in spec.lifecycle_policies:
                ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=spec.lifecycle_policies[name])
            if name in spec.repository_policies:
                ecr.set_repository_policy(repositoryName=name, policyText=spec.repository_policies[name])

    def push(self, ecr: Any, region: str, repository: str, index: int, image: ImageSpec) -> str:
        """Push one image (an index after its platform images), then its referrers; its digest."""
        key = f"{region}/{repository}/{index}"
        if image.platforms:
            children = [(platform, oci_manifest_for(f"{key}/{platform}")) for platform, _ in image.platforms]
            digests = [self.put(ecr, repository, manifest, [], self.override(image, size, pulled=rank == 0))
                       for rank, ((_, manifest), (_, size)) in enumerate(zip(children, image.platforms))]
            manifest = index_manifest_for([(platform, child, digest) for (platform, child), digest in zip(children, digests)])
            digest = self.put(ecr, repository, manifest, image.tags, self.override(image, None))
            self.platforms[digest] = digests
        else:
            manifest = manifest_for(key)
            digest = self.put(ecr, repository, manifest, image.tags, self.override(image, image.size_bytes))
        subject = {"mediaType": json.loads(manifest)["mediaType"], "digest": digest, "size": len(manifest.encode())}
        self.referrers[digest] = [
            self.put(ecr, repository, oci_manifest_for(f"{key}/referrer-{rank}", artifact_type, subject), [],
                     self.override(image, size, pulled=False))
            for rank, (artifact_type, size) in enumerate(image.referrers)]
        return digest

    def put(self, ecr: Any, repository: str, manifest: str, tags: list[str], override: dict[str, Any]) -> str:
        """Push a manifest with its first tag, add the others, record what moto cannot store."""
        first = {"imageTag": tags[0]} if tags else {}
        digest = ecr.put_image(repositoryName=repository, imageManifest=manifest, **first)["image"]["imageId"]["imageDigest"]
        for tag in tags[1:]:
            ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)
        if self.layer is not None:
            self.layer.ecr.image_overrides[digest] = override
        return digest

    def override(self, image: ImageSpec, size_bytes: int | None, pulled: bool = True) -> dict[str, Any]:
        """The size and times moto cannot store; an index's size is left to the layer, as AWS computes it."""
        override: dict[str, Any] = {"imagePushedAt": self.now - image.pushed_days_ago * DAY}
        if size_bytes is not None:
            override["imageSizeInBytes"] = size_bytes
        if pulled and image.pulled_days_ago is not None:
            override["lastRecordedPullTime"] = self.now - image.pulled_days_ago * DAY
        return override

    def archive(self, regions: list[RegionSpec]) -> None:
        """Move the images that say so to the archive, once the functions that run them exist."""
        for spec in regions:
            for name, images in spec.repositories.items():
                for index, image in enumerate(images):
                    if image.archived_days_ago is None:
                        continue
                    digest = self.digests[(spec.name, name)][index]
                    self.client("ecr", spec.name).update_image_storage_class(
                        repositoryName=name, imageId={"imageDigest": digest}, targetStorageClass="ARCHIVE")
                    if self.layer is not None:
                        self.layer.ecr.image_overrides[digest]["lastArchivedAt"] = self.now - image.archived_days_ago * DAY

    def seed_functions(self, spec: RegionSpec, role: str) -> None:
        lam = self.client("lambda", spec.name)
        logs = self.client("logs", spec.name)
        for function in spec.functions:
            arguments: dict[str, Any] = {"FunctionName": function.name, "Role": role, "MemorySize": function.memory}
            if function.image is None:
                arguments.update(Runtime="python3.12", Handler="lambda_function.lambda_handler", Code={"ZipFile": zip_bytes()})
            else:
                arguments.update(PackageType="Image", Code={"ImageUri": self.image_uri(spec.name, function.image)})
            if function.log_group:
                arguments["LoggingConfig"] = {"LogFormat": "Text", "LogGroup": function.log_group}
            lam.create_function(**arguments)
            self.publish(lam, function)
            if function.moved_to:
                lam.update_function_code(FunctionName=function.name, ImageUri=self.image_uri(spec.name, function.moved_to))
            self.seed_logs(logs, spec.name, function)

    def image_uri(self, region: str, image: ImageRef) -> str:
        """The URI a consumer names an image by."""
        if isinstance(image, str):
            return image
        repository, reference, *elsewhere = image
        home = elsewhere[0] if elsewhere else region
        uri = f"{self.account}.dkr.ecr.{home}.amazonaws.com/{repository}"
        if reference.startswith("@"):
            return uri + "@" + self.digests[(home, repository)][int(reference[1:])]
        return uri + f":{reference}"

    def seed_consumers(self, spec: RegionSpec, role: str) -> None:
        """ECS, scheduled tasks, Batch, App Runner, EKS, CodeBuild and SageMaker, in that order (schedules
        name task definitions)."""
        self.seed_ecs(spec)
        self.seed_schedules(spec, role)
        batch = self.client("batch", spec.name) if spec.batch_jobs else None
        for job in spec.batch_jobs:
            image = self.image_uri(spec.name, job.image)
            properties = {
                "container": {"containerProperties": {"image": image, "vcpus": 1, "memory": 128}},
                "ecs": {"ecsProperties": {"taskProperties": [{"containers": [{"name": "main", "image": image}]}]}},
                "eks": {"eksProperties": {"podProperties": {"containers": [{"name": "main", "image": image}]}}},
            }[job.properties]
            for _ in range(job.revisions):
                batch.register_job_definition(jobDefinitionName=job.name, type="container", **properties)
        runner = self.client("apprunner", spec.name) if spec.app_runner else None
        for service in spec.app_runner:
            arn = runner.create_service(ServiceName=service.name, SourceConfiguration={
                "ImageRepository": {"ImageIdentifier": self.image_uri(spec.name, service.image),
                                    "ImageRepositoryType": "ECR"},
                "AuthenticationConfiguration": {"AccessRoleArn": role}})["Service"]["ServiceArn"]
            if service.paused:
                runner.pause_service(ServiceArn=arn)
        for cluster in spec.eks_clusters:
            self.seed_eks(spec.name, cluster, role)
        self.seed_builds_and_models(spec, role)

    def seed_builds_and_models(self, spec: RegionSpec, role: str) -> None:
        """CodeBuild projects, then SageMaker models and the endpoints serving them."""
        codebuild = self.client("codebuild", spec.name) if spec.codebuild_projects else None
        for project in spec.codebuild_projects:
            codebuild.create_project(
                name=project.name, source={"type": "S3", "location": f"lab-sources/{project.name}.zip"},
                artifacts={"type": "NO_ARTIFACTS"}, serviceRole=role,
                environment={"type": "LINUX_CONTAINER", "image": self.image_uri(spec.name, project.image),
                             "computeType": "BUILD_GENERAL1_SMALL", "imagePullCredentialsType": "SERVICE_ROLE"})
        sagemaker = self.client("sagemaker", spec.name) if spec.sagemaker_models else None
        for model in spec.sagemaker_models:
            sagemaker.create_model(ModelName=model.name, ExecutionRoleArn=role,
                                   PrimaryContainer={"Image": self.image_uri(spec.name, model.image)})
            for endpoint in model.endpoints:
                sagemaker.create_endpoint_config(EndpointConfigName=endpoint, ProductionVariants=[{
                    "VariantName": "all", "ModelName": model.name, "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large"}])
                sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)

    def seed_ecs(self, spec: RegionSpec) -> None:
        if not (spec.task_definitions or spec.ecs_clusters):
            return
        ecs = self.client("ecs", spec.name)
        for family, revisions in spec.task_definitions.items():
            for images in revisions:
                ecs.register_task_definition(family=family, containerDefinitions=[
                    {"name": f"c{index}", "image": self.image_uri(spec.name, image), "memory": 128}
                    for index, image in enumerate(images)])
        for cluster in spec.ecs_clusters:
            ecs.create_cluster(clusterName=cluster.name)
            for service in cluster.services:
                ecs.create_service(cluster=cluster.name, serviceName=service.name, desiredCount=service.desired,
                                   taskDefinition=service.previous or service.task_definition)
                if service.previous:
                    ecs.update_service(cluster=cluster.name, service=service.name,
                                       taskDefinition=service.task_definition)
            for task in cluster.tasks:
                ecs.run_task(cluster=cluster.name, taskDefinition=task, launchType="FARGATE", count=1)
        for revision in spec.inactive:
            ecs.deregister_task_definition(taskDefinition=revision)

    def seed_schedules(self, spec: RegionSpec, role: str) -> None:
        events = self.client("events", spec.name) if spec.scheduled_tasks else None
        scheduler = self.client("scheduler", spec.name) if spec.scheduled_tasks else None
        for task in spec.scheduled_tasks:
            cluster = f"arn:aws:ecs:{spec.name}:{self.account}:cluster/{task.cluster}"
            definition = f"arn:aws:ecs:{spec.name}:{self.account}:task-definition/{task.task_definition}"
            if task.scheduler:
                scheduler.create_schedule(Name=task.name, ScheduleExpression=task.expression,
                                          FlexibleTimeWindow={"Mode": "OFF"}, Target={
                                              "Arn": cluster, "RoleArn": role,
                                              "EcsParameters": {"TaskDefinitionArn": definition}})
                continue
            events.put_rule(Name=task.name, ScheduleExpression=task.expression)
            events.put_targets(Rule=task.name, Targets=[{"Id": "task", "Arn": cluster, "RoleArn": role,
                                                         "EcsParameters": {"TaskDefinitionArn": definition}}])

    def seed_eks(self, region: str, spec: EksClusterSpec, role: str) -> None:
        """A cluster in moto, its Kubernetes API on the FakeKubernetes, DescribeCluster pointed at it."""
        if self.kubernetes is None or self.layer is None:
            raise ValueError("EKS clusters need a FakeKubernetes and the AwsLayer: Seeder(..., kubernetes=...)")
        self.client("eks", region).create_cluster(name=spec.name, roleArn=role,
                                                  resourcesVpcConfig={"subnetIds": ["subnet-0"]})
        cluster = self.kubernetes.add(spec.name)
        self.layer.eks.clusters[(region, spec.name)] = {
            "endpoint": self.kubernetes.endpoint(spec.name),
            "certificateAuthority": {"data": self.kubernetes.ca_data}}
        for workload in spec.workloads:
            self.add_workload(region, cluster, workload)

    def add_workload(self, region: str, cluster: fake_kubernetes.Cluster, spec: WorkloadSpec) -> None:
        image = self.image_uri(region, spec.image)
        when = None if spec.last_run_days_ago is None else self.now - spec.last_run_days_ago * DAY
        if spec.kind == "cronjob":
            cluster.objects["cronjobs"].append(fake_kubernetes.cronjob(spec.namespace, spec.name, [image],
                                                                       last_scheduled=when))
        elif spec.kind == "job":
            cluster.objects["jobs"].append(fake_kubernetes.job(spec.namespace, spec.name, [image], started=when))
        elif spec.kind == "pod":
            cluster.objects["pods"].append(fake_kubernetes.pod(spec.namespace, spec.name, [image], started=when))
        else:
            cluster.objects[f"{spec.kind}s"].append(fake_kubernetes.workload(spec.namespace, spec.name, [image],
                                                                             max(spec.pods, 1)))
        pinned = self.pinned(region, spec.image)
        for index in range(spec.pods):
            cluster.objects["pods"].append(fake_kubernetes.pod(
                spec.namespace, f"{spec.name}-5d8f7c9b4-{index}", [image], [pinned] if pinned else None,
                owner=("ReplicaSet", f"{spec.name}-5d8f7c9b4"), started=when or self.now - DAY,
                template_hash="5d8f7c9b4"))

    def pinned(self, region: str, image: ImageRef) -> str | None:
        """The `repo@digest` form a kubelet reports as a container's imageID, for an image of the account."""
        if isinstance(image, str):
            return None
        repository, reference, *elsewhere = image
        if reference.startswith("@"):
            return self.image_uri(region, image)
        home = elsewhere[0] if elsewhere else region
        found = self.client("ecr", home).describe_images(
            repositoryName=repository, imageIds=[{"imageTag": reference}])["imageDetails"]
        return f"{self.account}.dkr.ecr.{home}.amazonaws.com/{repository}@{found[0]['imageDigest']}" if found else None

    @staticmethod
    def publish(lam: Any, function: FunctionSpec) -> None:
        """Publish the function's versions, each after a configuration change (AWS, and moto, publish
        nothing new for an unchanged function), and point its aliases at the newest."""
        version = None
        for number in range(1, function.versions + 1):
            if number > 1:
                lam.update_function_configuration(FunctionName=function.name, Description=f"release {number}")
            version = lam.publish_version(FunctionName=function.name)["Version"]
        for alias in function.aliases:
            lam.create_alias(FunctionName=function.name, Name=alias, FunctionVersion=version)

    def seed_logs(self, logs: Any, region: str, function: FunctionSpec) -> None:
        """A log group whose newest event is `last_run_days_ago` old (or empty, or none)."""
        if function.last_run_days_ago is None and not function.no_streams:
            return
        group = function.log_group or f"/aws/lambda/{function.name}"
        logs.create_log_group(logGroupName=group)
        if function.no_streams:
            return
        logs.create_log_stream(logGroupName=group, logStreamName="2026/01/01/[$LATEST]0001")
        logs.put_log_events(
            logGroupName=group, logStreamName="2026/01/01/[$LATEST]0001",
            logEvents=[{"timestamp": int(self.now * 1000) - 60_000, "message": "START RequestId: 1"}],
        )
        if self.layer is not None:
            self.layer.logs.log_stream_overrides[(region, group)] = int((self.now - function.last_run_days_ago * DAY) * 1000)


GB = 10**9
MB = 10**6


def demo_account() -> list[RegionSpec]:
    """A small lab account: a busy Seoul region, two quieter ones, a partner lab's containers in Ireland,
    a few empty regions; a lifecycle policy about to expire an image a function runs, a build pulled by
    something nothing lists, an API image shared with the partner's account, an old empty repository."""
    seoul = RegionSpec("ap-northeast-2")
    seoul.repositories = {
        "ddps/image-resize": [
            ImageSpec(["latest", "v3"], 412 * MB, 3, 0.5),
            ImageSpec(["v2"], 405 * MB, 40, 30, archived_days_ago=10),  # archived by a lifecycle rule; the canary pins it
            ImageSpec([], 398 * MB, 90),
        ],
        "ddps/ml-inference": [
            ImageSpec(["2024.11"], int(2.1 * GB), 200, 150),
            ImageSpec(["2025.06"], int(2.3 * GB), 20, 1,  # signed, with an SBOM, through the OCI referrers API
                      referrers=(("application/vnd.dev.cosign.artifact.sig.v1+json", 1_300),
                                 ("application/spdx+json", 48_000))),
        ],
        "legacy/crawler": [ImageSpec(["final"], 730 * MB, 420, 300)],
        "sandbox/empty": [],
    }
    seoul.created_days_ago = {"sandbox/empty": 400}
    seoul.lifecycle_policies = {"ddps/ml-inference": json.dumps({"rules": [{  # while a function still runs 2024.11
        "rulePriority": 1, "description": "keep the newest", "action": {"type": "expire"},
        "selection": {"tagStatus": "tagged", "tagPatternList": ["20*"], "countType": "imageCountMoreThan",
                      "countNumber": 1}}]})}
    seoul.functions = [
        FunctionSpec("image-resize-prod", ("ddps/image-resize", "latest"), last_run_days_ago=0.02,
                     versions=2, aliases=("live",)),
        FunctionSpec("image-resize-canary", ("ddps/image-resize", "@1"), last_run_days_ago=12),
        FunctionSpec("ml-inference-api", ("ddps/ml-inference", "2025.06"), last_run_days_ago=2, log_group="/ddps/ml-inference"),
        FunctionSpec("ml-inference-batch", ("ddps/ml-inference", "2024.11"), no_streams=True),
        FunctionSpec("usage-report-zip", None, last_run_days_ago=30),
    ]
    seoul.codebuild_projects = [CodeBuildSpec("image-resize-build", ("ddps/image-resize", "latest"))]
    seoul.sagemaker_models = [SageMakerModelSpec("ml-inference-2025", ("ddps/ml-inference", "2025.06"),
                                                 endpoints=("ml-inference-live",))]
    virginia = RegionSpec("us-east-1")
    virginia.repositories = {"experiments/gpu-bench": [  # a multi-platform build, pulled by a GPU box nothing lists
        ImageSpec(["cuda12"], 0, 190, 2, platforms=(("linux/amd64", int(3.0 * GB)), ("linux/arm64", int(2.8 * GB))))]}
    oregon = RegionSpec("us-west-2")
    oregon.repositories = {"ddps/api": [ImageSpec(["prod"], 250 * MB, 8, 0.1)]}
    oregon.repository_policies = {"ddps/api": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "partner-lab", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})}
    oregon.functions = [FunctionSpec("api-prod", ("ddps/api", "prod"), last_run_days_ago=None)]
    return [seoul, virginia, oregon, partner_lab()]


def partner_lab() -> RegionSpec:
    """Ireland holds no repository: a partner lab runs Seoul's and Oregon's images on ECS, Batch and EKS there."""
    seoul, oregon = "ap-northeast-2", "us-west-2"
    ireland = RegionSpec("eu-west-1")
    ireland.task_definitions = {
        "resize-worker": [[("ddps/image-resize", "v2", seoul)], [("ddps/image-resize", "latest", seoul)]],
        "usage-export": [[("ddps/api", "prod", oregon)]],
    }
    ireland.ecs_clusters = [EcsClusterSpec("lab-eu", services=[EcsServiceSpec("resize-worker", "resize-worker:2")],
                                           tasks=["usage-export:1"])]
    ireland.scheduled_tasks = [
        ScheduledTaskSpec("monthly-usage-export", "usage-export", cluster="lab-eu"),
        ScheduledTaskSpec("nightly-resize-check", "resize-worker:2", scheduler=True, cluster="lab-eu",
                          expression="cron(0 18 * * ? *)"),
    ]
    ireland.batch_jobs = [BatchJobSpec("inference-eval", ("ddps/ml-inference", "2024.11", seoul))]
    ireland.app_runner = [AppRunnerSpec("lab-docs", "public.ecr.aws/nginx/nginx:stable")]
    ireland.eks_clusters = [EksClusterSpec("lab-eu", [
        WorkloadSpec("deployment", "ml", "inference-api", ("ddps/ml-inference", "2025.06", seoul), pods=2),
        WorkloadSpec("cronjob", "reports", "monthly-usage", ("ddps/api", "prod", oregon), last_run_days_ago=1),
    ])]
    return ireland
