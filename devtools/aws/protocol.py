"""AWS's wire protocols as the simulated AWS reads and answers them: which service, region and
operation a request is, and an answer or an error in the service's own format."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any, Callable
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from moto.core.utils import get_service_model
from werkzeug.test import EnvironBuilder

Key = tuple[str, str]
ACCOUNT = "123456789012"  # the simulated account
JSON_SERVICES = {"ecr", "logs"}
CREDENTIAL_RE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/aws4_request")
LAMBDA_PATH_RE = re.compile(r"^/\d{4}-\d{2}-\d{2}/functions/?(?P<name>[^/]*)/?(?P<sub>[^/]*)")
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
    ("POST", True, "invocations"): "Invoke",
}
THROTTLES = {  # service -> (code, status)
    "lambda": ("TooManyRequestsException", 429),
    "ec2": ("RequestLimitExceeded", 503),
    "sts": ("Throttling", 400),
    "iam": ("Throttling", 400),
}
HTTP_PHRASES = {s.value: s.phrase for s in HTTPStatus}
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


Handler = Callable[[Request], Response]


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


def access_key(environ: dict) -> str:
    """The access key a request is signed with ("" when unsigned)."""
    return environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].split("/")[0]


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


def parse(environ: dict) -> Request:
    """Read the body and identify service, region and operation."""
    body = read_body(environ)
    service, region = service_and_region(environ)
    try:
        operation = operation_name(environ, service, body)
    except Exception:  # never crash on odd requests
        operation = f"{service}:unknown"
    return Request(environ, body, service, region, operation)


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


def json_answer(doc: Any, status: str = "200 OK", version: str = "1.1") -> Response:
    """An answer of the JSON protocol (App Runner speaks version 1.0)."""
    body = json.dumps(doc).encode()
    return Response(status, [("Content-Type", f"application/x-amz-json-{version}"),
                             ("Content-Length", str(len(body))), ("x-amzn-RequestId", "x")], body)


def rewrite(resp: Response, edit: Callable[[dict], None]) -> Response:
    """Apply edit to a successful JSON object answer."""
    doc = resp.json() if resp.ok else None
    if not isinstance(doc, dict):
        return resp
    edit(doc)
    return resp.with_json(doc)


def json_request(target: str, operation: str, params: dict, authorization: str) -> dict:
    """The WSGI environ of a JSON-protocol call, for asking moto in-process."""
    return EnvironBuilder(method="POST", path="/", data=json.dumps(params), headers={
        "X-Amz-Target": f"{target}.{operation}", "Content-Type": "application/x-amz-json-1.1",
        "Authorization": authorization}).get_environ()
