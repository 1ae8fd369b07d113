"""Lambda as AWS answers it where moto 5.2.5 does not: ListFunctions paged, LoggingConfig kept, the
digest an image tag resolved to at deploy kept per version and alias, and Invoke run by the real
handler of a function a test names (moto would start a container)."""

from __future__ import annotations

import json
import threading
import traceback
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode

from devtools.aws.core import Service
from devtools.aws.ecr import tag_digest
from devtools.aws.paging import one_page, page_bounds
from devtools.aws.protocol import LAMBDA_PATH_RE, Handler, Key, Request, Response, access_key, error_response, rewrite
from devtools.aws.sts import caller_of

LAMBDA_PAGE = (50, 50)


def function_ref(path: str) -> tuple[str, str | None]:
    """Function name and qualifier from a Lambda path naming it by name, name:qualifier or ARN."""
    match = LAMBDA_PATH_RE.match(path)
    name, _, qualifier = (match["name"] if match else "").split(":function:")[-1].partition(":")
    return name, qualifier or None


def where(req: Request) -> str:
    """Whose function a request names: its caller's account and its region (functions of the same name in
    two accounts are two functions)."""
    return f"{caller_of(req.environ)} {req.region}"


def default_logging_config(name: str, given: dict | None) -> dict:
    """LoggingConfig as AWS reports it, defaults filled in."""
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}", **(given or {})}
    if config["LogFormat"] == "JSON":
        config = {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO", **config}
    return config


class Functions(Service):
    """Lambda's functions, their versions and aliases; state per region, as AWS keeps it."""

    name = "functions"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logging_configs: dict[Key, dict] = {}
        # keyed by where(req) (the caller's account and region), then the function's name
        self._images: dict[Key, dict] = {}  # (where, name) -> ImageUri, ResolvedImageUri
        self._version_images: dict[tuple[str, str, str], dict] = {}  # (where, name, version)
        self._aliases: dict[tuple[str, str, str], str] = {}  # (where, name, alias) -> version
        # function name -> the Python handler that Invoke runs in-process, as Lambda runs the function's code
        self.runners: dict[str, Callable[[Any, Any], Any]] = {}

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("lambda", operation): handler for operation, handler in {
            "ListFunctions": self._list_functions,
            "GetFunction": self._get_function,
            "GetFunctionConfiguration": self._get_function,
            "CreateFunction": self._create_function,
            "UpdateFunctionCode": self._update_function_code,
            "UpdateFunctionConfiguration": self._update_function_configuration,
            "PublishVersion": self._publish_version,
            "CreateAlias": self._record_alias,
            "UpdateAlias": self._record_alias,
            "Invoke": self._invoke,
        }.items()}

    def reset(self) -> None:
        """Forget every function's recorded configuration and images."""
        with self._lock:
            self._logging_configs.clear()
            self._images.clear()
            self._version_images.clear()
            self._aliases.clear()
            self.runners.clear()

    def _invoke(self, req: Request) -> Response:
        """Run a named function's handler with the request's payload, answering as Lambda does: its
        return value, or (an uncaught exception) 200 with X-Amz-Function-Error and the error's JSON."""
        name, _ = function_ref(req.environ.get("PATH_INFO", ""))
        runner = self.runners.get(name)
        if runner is None:
            return self.layer.forward(req)
        headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
        try:
            body = json.dumps(runner(json.loads(req.body or b"null"), None)).encode()
        except Exception as exc:  # noqa: BLE001 (Lambda answers a function's error; it does not fail the call)
            headers.append(("X-Amz-Function-Error", "Unhandled"))
            body = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                               "stackTrace": traceback.format_tb(exc.__traceback__)}).encode()
        return Response("200 OK", headers + [("Content-Length", str(len(body)))], body)

    def _list_functions(self, req: Request) -> Response:
        """Page ListFunctions like AWS (Marker / MaxItems) and add LoggingConfig."""
        params = parse_qsl(req.environ.get("QUERY_STRING", ""))
        given = dict(params)
        try:
            offset, size = page_bounds({"nextToken": given.get("Marker"), "maxResults": given.get("MaxItems")},
                                       LAMBDA_PAGE, self.layer.shorten)
        except ValueError:
            return error_response(req.service, "InvalidParameterValueException", "Invalid Marker or MaxItems", 400)
        query = urlencode([(k, v) for k, v in params if k not in ("Marker", "MaxItems")])

        def edit(doc: dict) -> None:
            for config in doc.get("Functions") or []:
                self._add_logging_config(where(req), config)
            one_page(doc, "Functions", "NextMarker", offset, size)

        return rewrite(self.layer.forward(req, query=query), edit)

    def _get_function(self, req: Request) -> Response:
        """Add LoggingConfig and the image of the asked version to GetFunction(Configuration)."""
        _, qualifier = function_ref(req.environ.get("PATH_INFO", ""))
        qualifier = qualifier or dict(parse_qsl(req.environ.get("QUERY_STRING", ""))).get("Qualifier")

        def edit(doc: dict) -> None:
            config = doc.get("Configuration", doc)
            self._add_logging_config(where(req), config)
            code = doc.get("Code") or {}
            image = self._image_of(where(req), config.get("FunctionName"), qualifier)
            code.update({k: v for k, v in image.items() if v and k in code})

        return rewrite(self.layer.forward(req), edit)

    def _image_of(self, region: str, name: str | None, qualifier: str | None) -> dict:  # region: where(req)
        """Recorded image of a version or alias; of $LATEST when unknown."""
        with self._lock:
            version = self._aliases.get((region, name, qualifier), qualifier)
            return (self._version_images.get((region, name, version))
                    or self._images.get((region, name), {}))

    def _publish_version(self, req: Request) -> Response:
        """Snapshot the current image as the new version's code."""
        resp = self.layer.forward(req)
        doc = (resp.json() or {}) if resp.ok else {}
        key = (where(req), doc.get("FunctionName"))
        with self._lock:
            if doc.get("Version") and key in self._images:
                self._version_images[(*key, doc["Version"])] = self._images[key]
        return resp

    def _record_alias(self, req: Request) -> Response:
        """Remember which version a created or updated alias points to."""
        resp = self.layer.forward(req)
        doc = (resp.json() or {}) if resp.ok else {}
        name, _ = function_ref(req.environ.get("PATH_INFO", ""))
        if doc.get("Name") and doc.get("FunctionVersion"):
            with self._lock:
                self._aliases[(where(req), name, doc["Name"])] = doc["FunctionVersion"]
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
        resp = self.layer.forward(req)
        name = (resp.json() or {}).get("FunctionName") if resp.ok else None
        if not name:
            return resp
        config = default_logging_config(name, params.get("LoggingConfig"))
        with self._lock:
            self._logging_configs[(where(req), name)] = config
        self._record_image(req, name, (params.get("Code") or {}).get("ImageUri"))
        return rewrite(resp, lambda doc: self._add_logging_config(where(req), doc))

    def _update_function_code(self, req: Request) -> Response:
        """Resolve the image tag of an updated function."""
        resp = self.layer.forward(req)
        name = (resp.json() or {}).get("FunctionName") if resp.ok else None
        if name:
            self._record_image(req, name, req.json().get("ImageUri"))
        return rewrite(resp, lambda doc: self._add_logging_config(where(req), doc))

    def _update_function_configuration(self, req: Request) -> Response:
        """Record a changed LoggingConfig."""
        given = req.json().get("LoggingConfig")
        resp = self.layer.forward(req)
        name = (resp.json() or {}).get("FunctionName") if resp.ok else None
        if name and given is not None:
            old = self._logging_configs.get((where(req), name)) or default_logging_config(name, None)
            with self._lock:
                self._logging_configs[(where(req), name)] = {**old, **given}
        return rewrite(resp, lambda doc: self._add_logging_config(where(req), doc))

    def _record_image(self, req: Request, name: str, image_uri: str | None) -> None:
        """Store the ImageUri and the digest-pinned URI AWS would report as ResolvedImageUri."""
        if not image_uri:
            return
        resolved = image_uri if "@sha256:" in image_uri else None
        if not resolved:
            digest = tag_digest(self.layer, access_key(req.environ), image_uri)
            repository = image_uri.rpartition(":")[0]
            resolved = f"{repository}@{digest}" if digest else None
        with self._lock:
            self._images[(where(req), name)] = {"ImageUri": image_uri, "ResolvedImageUri": resolved}
