"""WSGI middleware that makes moto's server page, fail and answer like real AWS."""

from __future__ import annotations

import base64
import collections
import io
import json
import logging
import urllib.request
import random
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

import botocore.session
from moto import backends as moto_backends
from moto.core.utils import get_service_model
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

from devtools import aws_sts
from devtools.ecr_images import ACCOUNT, HIDDEN_TAG_PREFIX, PRINCIPAL_PATTERN, EcrImages

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
Key = tuple[str, str]


@dataclass(frozen=True)
class RateQuota:
    """One request-rate quota per account and region: the service's operations that share it."""

    service: str  # as the SigV4 scope names it: "lambda", "logs"
    operations: frozenset[str] | None  # None: every operation of the service not in `excluded`
    per_second: float
    excluded: frozenset[str] = frozenset()
    burst: float | None = None  # the bucket's size when AWS states one; else one second's worth

    def covers(self, service: str, operation: str) -> bool:
        """True when a call of this operation counts against the quota."""
        if service != self.service or operation in self.excluded:
            return False
        return self.operations is None or operation in self.operations


# AWS's documented request-rate quotas, written here as AWS states them and not taken from the
# report's own table, so a wrong table in the report is caught here.
AWS_RATE_QUOTAS = (
    # Lambda quotas, "Lambda API requests" (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
    # "GetFunction API requests: 100 requests per second", fixed.
    RateQuota("lambda", frozenset({"GetFunction"}), 100),
    # "Remainder of the control plane API requests (excludes invocation, GetFunction, and GetPolicy
    # requests): 15 requests per second across all APIs", fixed: one quota that they all share.
    RateQuota("lambda", None, 15, excluded=frozenset({"Invoke", "GetFunction", "GetPolicy"})),
    # CloudWatch Logs quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html):
    # "DescribeLogStreams: 25 transactions per second (TPS)", adjustable; the default.
    RateQuota("logs", frozenset({"DescribeLogStreams"}), 25),
    # Amazon ECS API request throttling (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html):
    # token buckets per account and Region, "Bucket maximum capacity (or Burst rate)" and "Bucket refill rate
    # (or Sustained rate)" for each category of actions.
    RateQuota("ecs", frozenset({"DescribeClusters", "ListClusters"}), 20, burst=50),  # cluster read actions
    RateQuota("ecs", frozenset({"DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies"}),
              20, burst=50),  # task definition read actions
    RateQuota("ecs", frozenset({"DescribeContainerInstances", "DescribeTasks", "ListAttributes",
                                "ListContainerInstances", "ListTasks"}), 20, burst=100),  # cluster resource read
    RateQuota("ecs", frozenset({"DescribeServices", "ListServices"}), 20, burst=100),  # service read actions
    # Amazon EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html):
    # "Throttle limit in transactions per second for control plane APIs: Each supported Region: 50 per second",
    # not adjustable; PutEvents and invocations have quotas of their own.
    RateQuota("events", None, 50, excluded=frozenset({"PutEvents", "PutPartnerEvents"})),
    # Quotas for EventBridge Scheduler (https://docs.aws.amazon.com/scheduler/latest/UserGuide/scheduler-quotas.html):
    # "ListSchedules request rate" and "GetSchedule request rate", 50 a second in each supported Region
    # (adjustable; some Regions now allow GetSchedule more): the lowest the page states.
    RateQuota("scheduler", frozenset({"ListSchedules"}), 50),
    RateQuota("scheduler", frozenset({"GetSchedule"}), 50),
)
JSON_SERVICES = {"ecr", "logs"}
ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921"
CREDENTIAL_RE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/aws4_request")
LAMBDA_PATH_RE = re.compile(r"^/\d{4}-\d{2}-\d{2}/functions/?(?P<name>[^/]*)/?(?P<sub>[^/]*)")
IMAGE_TAG_RE = re.compile(r"^(?P<host>[^/]+\.amazonaws\.com)/(?P<repo>[^:@]+):(?P<tag>[^:@/]+)$")
LAMBDA_OPERATIONS = {
    ("GET", False, ""): "ListFunctions",
    ("POST", False, ""): "CreateFunction",
    ("GET", True, ""): "GetFunction",
    ("DELETE", True, ""): "DeleteFunction",
    ("PUT", True, "code"): "UpdateFunctionCode",
    ("GET", True, "configuration"): "GetFunctionConfiguration",
    ("PUT", True, "configuration"): "UpdateFunctionConfiguration",
    ("GET", True, "aliases"): "ListAliases",
    ("GET", True, "versions"): "ListVersionsByFunction",
    ("POST", True, "versions"): "PublishVersion",
    ("POST", True, "aliases"): "CreateAlias",
    ("PUT", True, "aliases"): "UpdateAlias",
}
THROTTLES = {  # service -> (code, status)
    "lambda": ("TooManyRequestsException", 429),
    "ec2": ("RequestLimitExceeded", 503),
    "sts": ("Throttling", 400),
    "iam": ("Throttling", 400),
}
HTTP_PHRASES = {s.value: s.phrase for s in HTTPStatus}
ECR_PAGE = (100, 1000)  # (default, max)
BATCH_GET_IMAGE_MAX = 100  # imageIds in one BatchGetImage (botocore's model: max 100)
LAMBDA_PAGE = (50, 50)
# The commercial regions enabled in every account; the partition's others are opt-in ("Enable or
# disable AWS Regions in your account", AWS Account Management reference guide).
DEFAULT_ENABLED_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-north-1", "sa-east-1"})
EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
REST_SERVICES = {"batch", "eks", "scheduler"}  # REST-JSON: the operation is told by method and path


@dataclass
class Request:
    """One incoming request, body already read."""

    environ: dict
    body: bytes
    service: str
    region: str
    operation: str

    @property
    def key(self) -> Key:
        """Counter key (operation, region)."""
        return (self.operation, self.region)

    def json(self) -> dict:
        """Body parsed as JSON ({} when empty or invalid)."""
        try:
            doc = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}


@dataclass
class Response:
    """A complete WSGI answer."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        """True for 2xx answers."""
        return self.status.startswith("2")

    def json(self) -> Any:
        """Body parsed as JSON (None when not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def with_json(self, doc: Any) -> Response:
        """Copy with a new JSON body and a fixed Content-Length."""
        body = json.dumps(doc).encode()
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        return Response(self.status, headers + [("Content-Length", str(len(body)))], body)


@dataclass
class Failure:
    """A configured injected error."""

    region: str | None
    operation: str | None
    code: str
    message: str
    status: int
    times: int | None = field(default=None)
    service: str | None = None  # as the SigV4 scope names it; None: any (ECS and App Runner share ListServices)

    def matches(self, req: Request) -> bool:
        """True if this failure applies to the request."""
        return (self.region in (None, req.region) and self.operation in (None, req.operation)
                and self.service in (None, req.service))


def encode_token(offset: int) -> str:
    """Opaque paging token for an offset."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    """Offset from a paging token; ValueError if the token is not ours."""
    if token is None:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
    except Exception as exc:
        raise ValueError(token) from exc
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(token)
    return offset


def page_size(value: Any, limits: tuple[int, int]) -> int:
    """Validated page size; ValueError when out of range."""
    default, maximum = limits
    size = default if value in (None, "") else int(value)
    if size < 1:
        raise ValueError(value)
    return min(size, maximum)


def read_body(environ: dict) -> bytes:
    """Read the request body once, respecting CONTENT_LENGTH."""
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length.isdigit():
        return stream.read(int(length))
    return stream.read() if environ.get("wsgi.input_terminated") else b""


def service_and_region(environ: dict) -> tuple[str, str]:
    """Service and region from the SigV4 credential scope."""
    scope = environ.get("HTTP_AUTHORIZATION", "") or environ.get("QUERY_STRING", "")
    match = CREDENTIAL_RE.search(scope.replace("%2F", "/"))
    if match:
        return match.group(2).lower(), match.group(1)
    if environ.get("PATH_INFO", "").startswith("/2015-03-31/"):
        return "lambda", "unknown"
    return "unknown", "unknown"


def function_ref(path: str) -> tuple[str, str | None]:
    """Function name and qualifier from a Lambda path naming it by name, name:qualifier or ARN."""
    match = LAMBDA_PATH_RE.match(path)
    name, _, qualifier = (match["name"] if match else "").split(":function:")[-1].partition(":")
    return name, qualifier or None


def lambda_operation(method: str, path: str) -> str:
    """Operation name for a Lambda REST path."""
    match = LAMBDA_PATH_RE.match(path)
    if match:
        key = (method, bool(match["name"]), match["sub"])
        if key in LAMBDA_OPERATIONS:
            return LAMBDA_OPERATIONS[key]
    prefix = "/".join(path.split("/")[:3])
    return f"lambda:{method} {prefix}"


@cache
def rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, operation) of a REST service's operations, most specific path first."""
    model = get_service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http["requestUri"].split("?")[0]
        parts = [("[^/]+" if not part.endswith("+}") else ".+") if part.startswith("{") else re.escape(part)
                 for part in re.split(r"(\{[^}]+\})", uri)]
        routes.append((len(re.sub(r"\{[^}]+\}", "", uri)), http["method"], re.compile("".join(parts) + "/?"), name))
    return tuple((method, pattern, name) for _, method, pattern, name in sorted(routes, key=lambda r: -r[0]))


def rest_operation(service: str, method: str, path: str) -> str:
    """A REST service's operation, matched by method and path as its botocore model routes it."""
    return next((name for verb, pattern, name in rest_routes(service) if verb == method and pattern.fullmatch(path)),
                f"{service}:{method} {path}")


def s3_operation(method: str, path: str) -> str:
    """S3's REST operations on buckets and objects (path-style addressing)."""
    on_object = "/" in path.strip("/")
    names = {("PUT", True): "PutObject", ("GET", True): "GetObject", ("DELETE", True): "DeleteObject",
             ("PUT", False): "CreateBucket", ("GET", False): "ListObjects"}
    return names.get((method, on_object), f"s3:{method} {path}")


def operation_name(environ: dict, service: str, body: bytes) -> str:
    """Operation name from X-Amz-Target, Lambda path or Action parameter."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    if service == "lambda":
        return lambda_operation(method, path)
    if service == "s3":
        return s3_operation(method, path)
    if service in REST_SERVICES:
        return rest_operation(service, method, path)
    params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    if "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        params.update(parse_qsl(body.decode("utf-8", "replace")))
    return params.get("Action") or f"{service}:{method} {path}"


def error_response(service: str, code: str, message: str, status: int) -> Response:
    """An AWS error in the wire format of the service."""
    status_line = f"{status} {HTTP_PHRASES.get(status, 'Error')}"
    if service == "lambda":
        body = json.dumps({"Type": "User", "Message": message}).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    elif service == "ec2":
        body = (f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}"
                "</Message></Error></Errors><RequestID>x</RequestID></Response>").encode()
        headers = [("Content-Type", "text/xml")]
    elif service == "s3":
        body = (f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
                "<RequestId>x</RequestId></Error>").encode()
        headers = [("Content-Type", "application/xml")]
    elif service in JSON_SERVICES or service not in THROTTLES:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1")]
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>"
                f"{escape(message)}</Message></Error><RequestId>x</RequestId></ErrorResponse>").encode()
        headers = [("Content-Type", "text/xml")]
    headers += [("Content-Length", str(len(body))), ("x-amzn-RequestId", "x")]
    return Response(status_line, headers, body)


def throttle_response(service: str) -> Response:
    """The service's throttling error."""
    code, status = THROTTLES.get(service, ("ThrottlingException", 400))
    return error_response(service, code, "Rate exceeded", status)


def default_logging_config(name: str, given: dict | None) -> dict:
    """LoggingConfig as AWS reports it, defaults filled in."""
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}", **(given or {})}
    if config["LogFormat"] == "JSON":
        config = {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO", **config}
    return config


READ_PREFIXES = ("Describe", "List", "Get")  # operations that only read state


def access_key(environ: dict) -> str:
    """The access key a request is signed with ("" when unsigned)."""
    return environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].split("/")[0]


def json_answer(doc: dict) -> Response:
    """A 200 answer of the JSON protocol."""
    body = json.dumps(doc).encode()
    return Response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body))),
                               ("x-amzn-RequestId", "x")], body)


def answer_key(req: Request) -> tuple:
    """What makes two reads the same: operation, region, caller, method, path, query and body."""
    env = req.environ
    caller = access_key(env)
    return (req.operation, req.region, caller, env.get("REQUEST_METHOD"), env.get("PATH_INFO"),
            env.get("QUERY_STRING"), req.body)


class AwsLayer:
    """WSGI middleware in front of moto's app."""

    def __init__(self, app: WsgiApp, *, latency: float = 0.0,
                 throttle_fraction: float = 0.0, seed: int = 0) -> None:
        """Wrap app; latency in seconds, throttle_fraction in [0, 1]."""
        self.app = app
        self.latency = latency
        self.throttle_fraction = throttle_fraction
        self.calls: collections.Counter = collections.Counter()
        self.arrivals: list[Key] = []  # (operation, region) of every call, in the order they came
        self.answered: list[Key] = []  # (operation, region) of every call answered 2xx, in the order answered
        self.throttled: collections.Counter = collections.Counter()
        self.operations: set[tuple[str, str]] = set()  # (service, operation) of every call since reset_counts()
        self.in_flight = 0
        self.peak_in_flight = 0  # most calls answered at once since reset_counts()
        self.image_overrides: dict = {}
        self.repository_overrides: dict = {}  # (region, repository) -> DescribeRepositories fields, e.g. createdAt
        self.log_stream_overrides: dict = {}
        self.ecr_images = EcrImages()  # storage class, index sizes, referrers, pulls and exclusions
        self.wall_clock: Callable[[], float] = time.time  # when an image is archived or a manifest pulled
        self.short_pages: int | None = None  # answer at most this many items a page, as AWS may do
        self.opted_in_regions: set[str] = set()  # opt-in regions this commercial account has enabled
        # the account's enabled regions, when a test's account keeps to the regions it uses (None: a
        # commercial account's defaults and the opted-in ones)
        self.enabled_regions: frozenset[str] | None = None
        self.rate_quotas: tuple[RateQuota, ...] = ()  # enforced per region, as AWS does (e.g. AWS_RATE_QUOTAS)
        self.clock: Callable[[], float] = time.monotonic  # what the quotas' buckets refill by
        self.sleep: Callable[[float], None] = time.sleep  # how a call's latency is spent
        self._buckets: dict[tuple[RateQuota, str], tuple[float, float]] = {}  # (quota, region) -> (tokens, when)
        self._cache_reads = False
        self._answers: dict[tuple, Response] = {}
        self._writes = 0  # counts writes, so a read that overlapped one is not kept
        self._lock = threading.Lock()
        self._moto_locks: dict[str, threading.RLock] = {}  # service -> one moto call of it at a time
        self.moto_faults: list[tuple[Key, str]] = []  # ((service, region), body) of moto's own 5xx answers
        self._random = random.Random(seed)
        self._failures: list[Failure] = []
        self._logging_configs: dict[Key, dict] = {}
        self._images: dict[Key, dict] = {}  # (region, name) -> ImageUri, ResolvedImageUri
        self._version_images: dict[tuple[str, str, str], dict] = {}  # (region, name, version)
        self._aliases: dict[tuple[str, str, str], str] = {}  # (region, name, alias) -> version
        self._handlers: dict[str, Callable[[Request], Response]] = {
            "DescribeRepositories": lambda r: self._page_ecr(r, "repositories", "repositoryNames",
                                                             lambda doc: self._override_repositories(r.region, doc)),
            "DescribeImages": self._describe_images,
            "PutImage": self._put_image,
            "BatchGetImage": self._batch_get_image,
            "UpdateImageStorageClass": self._update_image_storage_class,
            "RegisterPullTimeUpdateExclusion": self._register_exclusion,
            "DeregisterPullTimeUpdateExclusion": self._deregister_exclusion,
            "ListPullTimeUpdateExclusions": self._list_exclusions,
            "PutLifecyclePolicy": self._put_lifecycle_policy,
            "GetLifecyclePolicy": self._get_lifecycle_policy,
            "ListFunctions": self._list_functions,
            "GetFunction": self._get_function,
            "GetFunctionConfiguration": self._get_function,
            "CreateFunction": self._create_function,
            "UpdateFunctionCode": self._update_function_code,
            "UpdateFunctionConfiguration": self._update_function_configuration,
            "PublishVersion": self._publish_version,
            "CreateAlias": self._record_alias,
            "UpdateAlias": self._record_alias,
            "DescribeLogStreams": self._describe_log_streams,
            "DescribeRegions": self._describe_regions,
        }
        from devtools.aws_consumers import ConsumerServices  # it builds on this module's helpers

        self.consumers = ConsumerServices(self)  # ECS, Batch, EKS as AWS answers, and App Runner
        self._service_handlers = self.consumers.handlers()  # (service, operation): names shared across services
        self._service_handlers[("sts", "AssumeRole")] = lambda r: aws_sts.assume_role(
            lambda: self._forward(r), lambda code, message, status: error_response("sts", code, message, status),
            r.environ, r.body)

    # ---- public controls -------------------------------------------------

    def reset_counts(self) -> None:
        """Forget all counted calls and throttles."""
        with self._lock:
            self.calls.clear()
            self.operations.clear()
            self.arrivals.clear()
            self.answered.clear()
            self.throttled.clear()
            self.moto_faults.clear()
            self.peak_in_flight = self.in_flight

    @property
    def cache_reads(self) -> bool:
        """Answer a repeated read from memory until the next write (off by default).

        For the benchmark: on AWS the service's own work runs elsewhere, but moto's runs on the
        benchmark machine's cores, beside the handler it is measuring. Latency, throttling,
        injected failures and call counts still apply to every request. Turning it on or off
        empties the cache; so does any call that is not a Describe, List or Get. Answers of
        5xx are never kept. Edits made to the override dicts while it is on are not seen.
        """
        return self._cache_reads

    @cache_reads.setter
    def cache_reads(self, on: bool) -> None:
        with self._lock:
            self._cache_reads = on
            self._answers.clear()

    def fail(self, *, region: str | None = None, operation: str | None = None,
             code: str = "AccessDeniedException", message: str = "User is not authorized",
             status: int = 400, times: int | None = None, service: str | None = None) -> None:
        """Answer matching requests with an AWS error (times=None: forever)."""
        if times is not None and times <= 0:
            return
        with self._lock:
            self._failures.append(Failure(region, operation, code, message, status, times, service))

    def clear_failures(self) -> None:
        """Remove all configured failures."""
        with self._lock:
            self._failures.clear()

    def reset(self) -> None:
        """Forget everything: knobs, counts, overrides and what was recorded of functions."""
        self.clear_failures()
        self.reset_counts()
        self.short_pages = None
        self.opted_in_regions = set()
        self.enabled_regions = None
        self.cache_reads = False
        self.latency = 0.0
        self.throttle_fraction = 0.0
        self.ecr_images.reset()
        with self._lock:
            self.rate_quotas = ()
            self.clock, self.sleep, self.wall_clock = time.monotonic, time.sleep, time.time
            self._buckets.clear()
            self.image_overrides.clear()
            self.repository_overrides.clear()
            self.log_stream_overrides.clear()
            self._logging_configs.clear()
            self._images.clear()
            self._version_images.clear()
            self._aliases.clear()
        self.consumers.reset()

    # ---- WSGI entry ------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Handle one request."""
        req = self._parse(environ)
        with self._lock:
            self.calls[req.key] += 1
            self.operations.add((req.service, req.operation))
            self.arrivals.append(req.key)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency > 0:
                self.sleep(self.latency)
            resp = self._injected(req) or self._answer(req)
        finally:
            with self._lock:
                self.in_flight -= 1
        if resp.status.startswith("2"):
            with self._lock:
                self.answered.append(req.key)
        start_response(resp.status, resp.headers)
        return [resp.body]

    def _parse(self, environ: dict) -> Request:
        """Read body and identify service, region and operation."""
        body = read_body(environ)
        service, region = service_and_region(environ)
        try:
            operation = operation_name(environ, service, body)
        except Exception:  # never crash on odd requests
            operation = f"{service}:unknown"
        return Request(environ, body, service, region, operation)

    def _injected(self, req: Request) -> Response | None:
        """A configured failure or a random throttle, if one applies."""
        with self._lock:
            failure = next((f for f in self._failures if f.matches(req)), None)
            if failure is not None:
                self._consume(failure)
                return error_response(req.service, failure.code, failure.message, failure.status)
            if not self._within_rate(req) or (
                    self.throttle_fraction > 0 and self._random.random() < self.throttle_fraction):
                self.throttled[req.key] += 1
                return throttle_response(req.service)
        return None

    def _within_rate(self, req: Request) -> bool:
        """Take a token from every quota the request counts against, or from none (lock held).

        A quota's bucket holds one second's worth of requests (at least one) and refills
        continuously, so bursts up to the rate pass and a steady stream above it is throttled.
        """
        quotas = [quota for quota in self.rate_quotas if quota.covers(req.service, req.operation)]
        if not quotas:
            return True
        now, counts = self.clock(), {}
        for quota in quotas:
            room = max(1.0, quota.burst or quota.per_second)
            tokens, counted = self._buckets.get((quota, req.region), (room, now))
            counts[quota] = min(room, tokens + (now - counted) * quota.per_second)
        allowed = all(tokens >= 1 for tokens in counts.values())
        for quota, tokens in counts.items():
            self._buckets[(quota, req.region)] = (tokens - allowed, now)
        return allowed

    def _consume(self, failure: Failure) -> None:
        """Count down a limited failure (caller holds the lock)."""
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)

    def _answer(self, req: Request) -> Response:
        """The operation's answer: from the read cache when it is on and holds one."""
        if not self._cache_reads:
            return self._dispatch(req)
        if not req.operation.startswith(READ_PREFIXES):
            with self._lock:
                self._answers.clear()
                self._writes += 1
            resp = self._dispatch(req)
            with self._lock:
                self._writes += 1  # a read that began during this write must not be kept
            return resp
        key = answer_key(req)
        with self._lock:
            kept, writes = self._answers.get(key), self._writes
        if kept is not None:
            return kept
        resp = self._dispatch(req)
        with self._lock:
            if not resp.status.startswith("5") and writes == self._writes:
                self._answers[key] = resp
        return resp

    def _dispatch(self, req: Request) -> Response:
        """Route to an operation handler or forward unchanged."""
        handler = self._service_handlers.get((req.service, req.operation)) or self._handlers.get(req.operation)
        return handler(req) if handler else self._forward(req)

    def _forward(self, req: Request, body: bytes | None = None,
                 query: str | None = None) -> Response:
        """Call the wrapped app, optionally with a new body or query string."""
        environ = dict(req.environ)
        body = req.body if body is None else body
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        if query is not None:
            environ["QUERY_STRING"] = query
            uri = environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
            environ.update({k: uri for k in ("REQUEST_URI", "RAW_URI") if k in environ})
        return self._call_app(environ)

    def _call_app(self, environ: dict) -> Response:
        """Run the wrapped app and collect its whole answer, one call of a service at a time: moto's
        backends are not thread-safe (a DescribeTasks that moves a task on races another's answer)."""
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, list(headers)
            return chunks.append

        service, region = service_and_region(environ)
        with self._moto_lock(service):
            result = self.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                getattr(result, "close", lambda: None)()
        resp = Response(captured["status"], captured["headers"], b"".join(chunks))
        if resp.status.startswith("5"):  # a fault of moto's own: no test may take it for AWS's
            with self._lock:
                self.moto_faults.append(((service, region), resp.body[:300].decode("utf-8", "replace")))
        return resp

    def _moto_lock(self, service: str) -> threading.RLock:
        """The lock that serialises moto's calls of one service (services call each other in-process freely)."""
        with self._lock:
            return self._moto_locks.setdefault(service, threading.RLock())

    # ---- ECR ---------------------------------------------------------------

    def _shorten(self, size: int) -> int:
        """The page size, cut to `short_pages` when set."""
        return min(size, self.short_pages) if self.short_pages else size

    def _page_ecr(self, req: Request, key: str, filter_key: str,
                  edit: Callable[[dict], None] = lambda doc: None) -> Response:
        """Page an ECR listing like AWS (maxResults / nextToken), after image_overrides and `edit`."""
        params = req.json()
        if params.get(filter_key):
            return self._rewrite(self._rewrite(self._forward(req), self._override_images), edit)
        try:
            offset = decode_token(params.pop("nextToken", None))
            size = self._shorten(page_size(params.pop("maxResults", None), ECR_PAGE))
        except ValueError:
            return error_response(req.service, "InvalidParameterException",
                                  "Invalid parameter at 'nextToken' or 'maxResults'", 400)
        resp = self._forward(req, json.dumps(params).encode())
        resp = self._rewrite(self._rewrite(resp, self._override_images), edit)
        return self._rewrite(resp, lambda doc: self._slice(doc, key, "nextToken", offset, size))

    @staticmethod
    def _slice(doc: dict, key: str, token_key: str, offset: int, size: int) -> None:
        """Cut doc[key] to one page and set or drop the next token."""
        items = doc.get(key) or []
        doc[key] = items[offset:offset + size]
        doc.pop(token_key, None)
        if offset + size < len(items):
            doc[token_key] = encode_token(offset + size)

    def _override_images(self, doc: dict) -> None:
        """Apply image_overrides to DescribeImages imageDetails."""
        for detail in doc.get("imageDetails") or []:
            detail.update(self.image_overrides.get(detail.get("imageDigest"), {}))

    def _override_repositories(self, region: str, doc: dict) -> None:
        """Apply repository_overrides to DescribeRepositories' repositories (moto dates each at its creation)."""
        for repository in doc.get("repositories") or []:
            repository.update(self.repository_overrides.get((region, repository.get("repositoryName")), {}))

    def _rewrite(self, resp: Response, edit: Callable[[dict], None]) -> Response:
        """Apply edit to a successful JSON object answer."""
        doc = resp.json() if resp.ok else None
        if not isinstance(doc, dict):
            return resp
        edit(doc)
        return resp.with_json(doc)

    def _ecr_in_process(self, region: str, akid: str, operation: str, params: dict) -> Response:
        """An ECR call answered by moto in-process: not counted, failed, throttled or edited."""
        scope = f"{akid or 'testing'}/20260101/{region}/ecr/aws4_request"
        environ = EnvironBuilder(
            method="POST", path="/",
            headers={"X-Amz-Target": f"{ECR_TARGET}.{operation}",
                     "Content-Type": "application/x-amz-json-1.1",
                     "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, "
                                      "SignedHeaders=host;x-amz-target, Signature=0"},
            data=json.dumps(params),
        ).get_environ()
        return self._call_app(environ)

    def _resolve_tag(self, region: str, akid: str, repo: str, tag: str) -> str | None:
        """Digest of repo:tag, asked from moto's ECR in-process."""
        resp = self._ecr_in_process(region, akid, "DescribeImages",
                                    {"repositoryName": repo, "imageIds": [{"imageTag": tag}]})
        details = (resp.json() or {}).get("imageDetails") if resp.ok else None
        return details[0].get("imageDigest") if details else None

    def _describe_images(self, req: Request) -> Response:
        """DescribeImages as AWS answers it: storage class and its filter, index sizes, referrers, pulls."""
        params = req.json()
        repository = params.get("repositoryName", "")

        def complete(doc: dict) -> None:
            details = doc.get("imageDetails") or []
            if params.get("imageIds"):  # an index's size is its platform images', which may not be asked for
                self.ecr_images.complete(req.region, repository, details,
                                         self._image_sizes(req.region, access_key(req.environ), repository))
            else:
                doc["imageDetails"] = self.ecr_images.described(req.region, repository, details,
                                                                params.get("filter"))

        return self._page_ecr(req, "imageDetails", "imageIds", complete)

    def _put_lifecycle_policy(self, req: Request) -> Response:
        """PutLifecyclePolicy with archive rules, which moto refuses: moto checks the rest and keeps a copy
        in its terms; the policy as put is what GetLifecyclePolicy answers."""
        params = req.json()
        text = params.get("lifecyclePolicyText")
        if not isinstance(text, str):
            return self._forward(req)
        resp = self._forward(req, json.dumps({**params, "lifecyclePolicyText": self.ecr_images.lifecycle_for_moto(text)})
                             .encode())
        if resp.ok:
            self.ecr_images.lifecycle_texts[(req.region, params.get("repositoryName", ""))] = text
        return self._rewrite(resp, lambda doc: doc.update(lifecyclePolicyText=text))

    def _get_lifecycle_policy(self, req: Request) -> Response:
        """GetLifecyclePolicy answering the policy as it was put (moto keeps its own terms of an archive rule)."""
        text = self.ecr_images.lifecycle_texts.get((req.region, req.json().get("repositoryName", "")))
        resp = self._forward(req)
        return self._rewrite(resp, lambda doc: doc.update(lifecyclePolicyText=text)) if text else resp

    def _image_sizes(self, region: str, akid: str, repository: str) -> dict[str, Any]:
        """Every image's size in a repository, image_overrides applied (digest -> bytes or None)."""
        resp = self._ecr_in_process(region, akid, "DescribeImages", {"repositoryName": repository})
        doc = (resp.json() or {}) if resp.ok else {}
        self._override_images(doc)
        return {detail.get("imageDigest"): detail.get("imageSizeInBytes") for detail in doc.get("imageDetails") or []}

    def _put_image(self, req: Request) -> Response:
        """Give a pushed manifest the digest AWS gives it, its SHA-256 (moto's is random for an index),
        and keep the image a moved tag leaves untagged, as AWS does (moto deletes it)."""
        params = req.json()
        manifest = params.get("imageManifest")
        if not isinstance(manifest, str):
            return self._forward(req)
        digest = self.ecr_images.pushed(manifest)
        if params.get("imageTag"):
            self._keep_image_of_tag(req.region, access_key(req.environ), params.get("repositoryName", ""),
                                    params["imageTag"], digest)
        return self._forward(req, json.dumps({"imageDigest": digest, **params}).encode())

    def _keep_image_of_tag(self, region: str, akid: str, repository: str, tag: str, new_digest: str) -> None:
        """Before `tag` moves to another manifest, give the image holding it alone a hidden tag:
        moto then only removes `tag` from it, and the layer never shows the hidden tag."""
        found = self._ecr_in_process(region, akid, "BatchGetImage",
                                     {"repositoryName": repository, "imageIds": [{"imageTag": tag}]})
        [image] = (found.json() or {}).get("images") or [None] if found.ok else [None]
        if image is None or image["imageId"]["imageDigest"] == new_digest:
            return
        listed = self._ecr_in_process(region, akid, "DescribeImages",
                                      {"repositoryName": repository, "imageIds": [{"imageTag": tag}]})
        [detail] = (listed.json() or {}).get("imageDetails") or [{}]
        if detail.get("imageTags") == [tag]:
            self._ecr_in_process(region, akid, "PutImage", {
                "repositoryName": repository, "imageManifest": image["imageManifest"],
                "imageDigest": image["imageId"]["imageDigest"],
                "imageTag": HIDDEN_TAG_PREFIX + image["imageId"]["imageDigest"][7:19]})

    def _batch_get_image(self, req: Request) -> Response:
        """BatchGetImage as AWS answers it: at most 100 images, an archived one cannot be read, each
        failure names the image asked for, and every manifest read records a pull unless the caller
        is on the region's pull-time update exclusion list."""
        params = req.json()
        asked = params.get("imageIds") or []
        if len(asked) > BATCH_GET_IMAGE_MAX:
            return error_response(req.service, "ValidationException",
                                  "1 validation error detected: Value at 'imageIds' failed to satisfy constraint: "
                                  f"Member must have length less than or equal to {BATCH_GET_IMAGE_MAX}", 400)
        resp = self._forward(req)
        doc = resp.json() if resp.ok else None
        if not isinstance(doc, dict):
            return resp
        repository, akid = params.get("repositoryName", ""), access_key(req.environ)
        found = {image["imageId"]["imageDigest"]: image for image in doc.get("images") or []}
        images, failures = [], []
        for image_id in asked:
            digest = image_id.get("imageDigest") or self._resolve_tag(req.region, akid, repository,
                                                                       image_id.get("imageTag", ""))
            key = (req.region, repository, digest or "")
            if digest not in found or self.ecr_images.is_archived(key):  # an archived image cannot be pulled
                failures.append({"imageId": image_id, "failureCode": "ImageNotFound",
                                 "failureReason": "Requested image not found"})
                continue
            images.append({**found[digest], "imageId": {**image_id, "imageDigest": digest}})
            self.ecr_images.pulled(key, akid, self.wall_clock())
        return resp.with_json({**doc, "images": images, "failures": failures})

    def _update_image_storage_class(self, req: Request) -> Response:
        """Archive an image or restore it (moto has no archive)."""
        params = req.json()
        repository, image_id = params.get("repositoryName", ""), params.get("imageId") or {}
        target = params.get("targetStorageClass")
        if target not in ("ARCHIVE", "STANDARD"):
            return error_response(req.service, "InvalidParameterException",
                                  f"Invalid parameter at 'targetStorageClass': {target!r}", 400)
        found = self._ecr_in_process(req.region, access_key(req.environ), "DescribeImages",
                                     {"repositoryName": repository, "imageIds": [image_id]})
        details = (found.json() or {}).get("imageDetails") if found.ok else None
        if not details:
            return found if not found.ok else error_response(
                req.service, "ImageNotFoundException", f"The image {image_id} does not exist", 400)
        digest = details[0]["imageDigest"]
        status = self.ecr_images.move((req.region, repository, digest), target, self.wall_clock())
        return json_answer({"registryId": ACCOUNT, "repositoryName": repository,
                            "imageId": {**image_id, "imageDigest": digest}, "imageStatus": status})

    def _register_exclusion(self, req: Request) -> Response:
        """Add a principal to the region's pull-time update exclusion list."""
        principal = req.json().get("principalArn", "")
        if not PRINCIPAL_PATTERN.match(principal):
            return error_response(req.service, "InvalidParameterException",
                                  f"Invalid parameter at 'principalArn': {principal!r}", 400)
        now = self.wall_clock()
        if not self.ecr_images.exclude(req.region, principal, now):
            return error_response(req.service, "ExclusionAlreadyExistsException",
                                  "The specified pull time update exclusion already exists for the registry.", 400)
        return json_answer({"principalArn": principal, "createdAt": now})

    def _deregister_exclusion(self, req: Request) -> Response:
        """Remove a principal from the region's pull-time update exclusion list."""
        principal = req.json().get("principalArn", "")
        if not self.ecr_images.include(req.region, principal):
            return error_response(req.service, "ExclusionNotFoundException",
                                  "The specified pull time update exclusion was not found.", 400)
        return json_answer({"principalArn": principal})

    def _list_exclusions(self, req: Request) -> Response:
        """The region's pull-time update exclusion list, in one page."""
        return json_answer({"pullTimeUpdateExclusions": self.ecr_images.exclusions(req.region)})

    # ---- Lambda ------------------------------------------------------------

    def _list_functions(self, req: Request) -> Response:
        """Page ListFunctions like AWS (Marker / MaxItems) and add LoggingConfig."""
        params = parse_qsl(req.environ.get("QUERY_STRING", ""))
        given = dict(params)
        try:
            offset = decode_token(given.get("Marker"))
            size = self._shorten(page_size(given.get("MaxItems"), LAMBDA_PAGE))
        except ValueError:
            return error_response(req.service, "InvalidParameterValueException",
                                  "Invalid Marker or MaxItems", 400)
        query = urlencode([(k, v) for k, v in params if k not in ("Marker", "MaxItems")])
        resp = self._forward(req, query=query)

        def edit(doc: dict) -> None:
            for config in doc.get("Functions") or []:
                self._add_logging_config(req.region, config)
            self._slice(doc, "Functions", "NextMarker", offset, size)

        return self._rewrite(resp, edit)

    def _get_function(self, req: Request) -> Response:
        """Add LoggingConfig and the image of the asked version to GetFunction(Configuration)."""
        _, qualifier = function_ref(req.environ.get("PATH_INFO", ""))
        qualifier = qualifier or dict(parse_qsl(req.environ.get("QUERY_STRING", ""))).get("Qualifier")

        def edit(doc: dict) -> None:
            config = doc.get("Configuration", doc)
            self._add_logging_config(req.region, config)
            code = doc.get("Code") or {}
            image = self._image_of(req.region, config.get("FunctionName"), qualifier)
            code.update({k: v for k, v in image.items() if v and k in code})

        return self._rewrite(self._forward(req), edit)

    def _image_of(self, region: str, name: str | None, qualifier: str | None) -> dict:
        """Recorded image of a version or alias; of $LATEST when unknown."""
        with self._lock:
            version = self._aliases.get((region, name, qualifier), qualifier)
            return (self._version_images.get((region, name, version))
                    or self._images.get((region, name), {}))

    def _publish_version(self, req: Request) -> Response:
        """Snapshot the current image as the new version's code."""
        resp = self._forward(req)
        doc = (resp.json() or {}) if resp.ok else {}
        key = (req.region, doc.get("FunctionName"))
        with self._lock:
            if doc.get("Version") and key in self._images:
                self._version_images[(*key, doc["Version"])] = self._images[key]
        return resp

    def _record_alias(self, req: Request) -> Response:
        """Remember which version a created or updated alias points to."""
        resp = self._forward(req)
        doc = (resp.json() or {}) if resp.ok else {}
        name, _ = function_ref(req.environ.get("PATH_INFO", ""))
        if doc.get("Name") and doc.get("FunctionVersion"):
            with self._lock:
                self._aliases[(req.region, name, doc["Name"])] = doc["FunctionVersion"]
        return resp

    def _add_logging_config(self, region: str, config: dict) -> None:
        """Put the recorded (or AWS default) LoggingConfig into a function configuration."""
        name = config.get("FunctionName")
        if name:
            stored = self._logging_configs.get((region, name))
            config["LoggingConfig"] = stored or default_logging_config(name, None)

    def _create_function(self, req: Request) -> Response:
        """Record LoggingConfig and resolve the image tag of a new function."""
        params = req.json()
        resp = self._forward(req)
        name = (resp.json() or {}).get("FunctionName") if resp.ok else None
        if not name:
            return resp
        config = default_logging_config(name, params.get("LoggingConfig"))
        with self._lock:
            self._logging_configs[(req.region, name)] = config
        self._record_image(req, name, (params.get("Code") or {}).get("ImageUri"))
        return self._rewrite(resp, lambda doc: self._add_logging_config(req.region, doc))

    def _update_function_code(self, req: Request) -> Response:
        """Resolve the image tag of an updated function."""
        resp = self._forward(req)
        name = (resp.json() or {}).get("FunctionName") if resp.ok else None
        if name:
            self._record_image(req, name, req.json().get("ImageUri"))
        return self._rewrite(resp, lambda doc: self._add_logging_config(req.region, doc))

    def _update_function_configuration(self, req: Request) -> Response:
        """Record a changed LoggingConfig."""
        given = req.json().get("LoggingConfig")
        resp = self._forward(req)
        name = (resp.json() or {}).get("FunctionName") if resp.ok else None
        if name and given is not None:
            old = self._logging_configs.get((req.region, name)) or default_logging_config(name, None)
            with self._lock:
                self._logging_configs[(req.region, name)] = {**old, **given}
        return self._rewrite(resp, lambda doc: self._add_logging_config(req.region, doc))

    def _record_image(self, req: Request, name: str, image_uri: str | None) -> None:
        """Store the ImageUri and the digest-pinned URI AWS would report as ResolvedImageUri."""
        if not image_uri:
            return
        resolved = image_uri if "@sha256:" in image_uri else None
        match = IMAGE_TAG_RE.match(image_uri)
        if match and not resolved:
            image_region = match["host"].split(".")[3]
            akid = req.environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].split("/")[0] or "testing"
            registry = match["host"].split(".")[0]
            if registry != aws_sts.caller_of(req.environ):  # another account's image: resolved in its registry
                akid = "testing" if registry == ACCOUNT else aws_sts.access_key_of(registry) or akid
            digest = self._resolve_tag(image_region, akid, match["repo"], match["tag"])
            resolved = f"{match['host']}/{match['repo']}@{digest}" if digest else None
        with self._lock:
            self._images[(req.region, name)] = {"ImageUri": image_uri, "ResolvedImageUri": resolved}

    # ---- EC2 ---------------------------------------------------------------

    def _describe_regions(self, req: Request) -> Response:
        """A commercial account's regions, as AWS answers (moto lists every partition's, China's and
        GovCloud's too, whatever is asked): the enabled ones, or with AllRegions each with its status."""
        params = dict(parse_qsl(req.body.decode("utf-8", "replace")))
        every = params.get("AllRegions", "false").lower() == "true"
        named = {value for key, value in params.items() if key.startswith("RegionName.")}
        rows = []
        for name in sorted(commercial_regions()):
            status = ("opt-in-not-required" if name in DEFAULT_ENABLED_REGIONS
                      else "opted-in" if name in self.opted_in_regions else "not-opted-in")
            if self.enabled_regions is not None:
                status = "opted-in" if name in self.enabled_regions else "not-opted-in"
            if (every or status != "not-opted-in") and (not named or name in named):
                rows.append(f"<item><regionName>{name}</regionName><regionEndpoint>ec2.{name}.amazonaws.com"
                            f"</regionEndpoint><optInStatus>{status}</optInStatus></item>")
        body = (f'<DescribeRegionsResponse xmlns="{EC2_NAMESPACE}"><requestId>x</requestId>'
                f"<regionInfo>{''.join(rows)}</regionInfo></DescribeRegionsResponse>").encode()
        return Response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body)

    # ---- Logs --------------------------------------------------------------

    def _describe_log_streams(self, req: Request) -> Response:
        """Apply log_stream_overrides to DescribeLogStreams answers."""
        params = req.json()
        group = params.get("logGroupName") or params.get("logGroupIdentifier", "")
        group = group.split(":log-group:")[-1].removesuffix(":*")
        timestamp = self.log_stream_overrides.get((req.region, group))
        if timestamp is None:
            return self._forward(req)

        def edit(doc: dict) -> None:
            for stream in doc.get("logStreams") or []:
                stream["lastEventTimestamp"] = timestamp

        return self._rewrite(self._forward(req), edit)


@cache
def commercial_regions() -> frozenset[str]:
    """Every region of the commercial partition, as botocore's endpoint data knows them."""
    return frozenset(botocore.session.get_session().get_available_regions("ec2", partition_name="aws"))


def cache_moto_module_list() -> None:
    """moto lists its own package folder on every request, a large share of its CPU; list it once."""
    if not getattr(moto_backends.list_of_moto_modules, "cached", False):
        modules = tuple(moto_backends.list_of_moto_modules())
        cached = lambda: modules  # noqa: E731
        cached.cached = True  # type: ignore[attr-defined]
        moto_backends.list_of_moto_modules = cached


SIMULATED_SERVICES = ("ec2", "ecr", "lambda", "logs", "s3", "iam", "sts", "ecs", "events", "scheduler", "batch",
                      "eks")


def warm_moto_service_models(services: Iterable[str] = SIMULATED_SERVICES) -> None:
    """Build moto's operation models once, before requests arrive side by side.

    moto 5.2.5 caches its OperationModel under the same key as botocore's, so two threads that
    first touch a service together can get botocore's model and answer 500
    (`'OperationModel' object has no attribute 'http_trait'`).
    """
    for service in services:
        model = get_service_model(service)
        for name in model.operation_names:
            model.operation_model(name).http_trait  # noqa: B018 (fills the cache)


class LayeredMotoServer(ThreadedMotoServer):
    """moto's threaded server with an AwsLayer in front."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 0, verbose: bool = False,
                 *, latency: float = 0.0, throttle_fraction: float = 0.0, seed: int = 0) -> None:
        """Create the server and its layer (not started)."""
        super().__init__(ip_address=ip_address, port=port, verbose=verbose)
        cache_moto_module_list()
        warm_moto_service_models()
        app = DomainDispatcherApplication(create_backend_app)
        self.layer = AwsLayer(app, latency=latency, throttle_fraction=throttle_fraction, seed=seed)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def _server_entry(self) -> None:
        """Serve the layered app (same as the parent, but wrapped)."""
        self._server = make_server(
            self._ip_address, self._port, self.layer, True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint_url(self) -> str:
        """http://127.0.0.1:<port> of the running server."""
        _, port = self.get_host_and_port()
        return f"http://127.0.0.1:{port}"

    def reset(self) -> None:
        """An empty account again: the layer's state, then moto's (through its reset API, which the
        cleared layer can no longer throttle or fail)."""
        self.layer.reset()
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")).close()
        self.layer.reset()  # the reset call itself is not counted
