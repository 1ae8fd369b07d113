"""The service models a session's clients hold: read without their documentation (and, for the largest, without
the operations the report never calls), and one model and one client class per service, shared across its
regions.

botocore keeps every model it reads for the life of the process, documentation included, which no call
uses (EC2's, read for DescribeRegions alone, and SageMaker's are 15 MB each as Python objects). And it
builds a model and a client class again for every client: a class with a method per operation (SageMaker
has over 400) and a model whose operations are parsed again, though neither depends on the region. A
report builds a client per service per enabled region, most of them to learn that a region holds nothing,
so the factory's sessions share them. Session.create_client offers no hook for this: sharing wraps the
two ClientCreator methods that build them, for the sessions that asked only (others build as botocore
does), and is left off when a botocore release no longer has those methods. EC2's, ECS's and
SageMaker's models keep only the operations the report calls and the shapes those reach.
"""
from __future__ import annotations

import gzip
import json
import os
import threading
import weakref
from functools import wraps
from pathlib import PurePath
from typing import Any, Callable

import botocore.client
import botocore.session
from botocore.loaders import JSONFileLoader, Loader, create_loader

SHARED_METHODS = ("_load_service_model", "_create_client_class")
# A session's event emitter (ClientCreator's, before a client copies it) -> what was built for it, by key.
_built: weakref.WeakKeyDictionary[Any, dict[tuple, Any]] = weakref.WeakKeyDictionary()
_install_lock = threading.Lock()
# Every operation the report calls of a service whose model is large (tests/test_template.py checks them
# against the source); other services' models keep every operation.
CALLED_OPERATIONS: dict[str, frozenset[str]] = {
    "ec2": frozenset({"DescribeRegions"}),
    "ecs": frozenset({"ListClusters", "ListServices", "DescribeServices", "ListTasks", "DescribeTasks",
                      "ListTaskDefinitions", "DescribeTaskDefinition"}),
    "sagemaker": frozenset({"ListModels", "DescribeModel", "ListEndpoints", "DescribeEndpoint",
                            "DescribeEndpointConfig"}),
}


# The forms botocore reads a model file in, in its order of preference.
MODEL_FILE_FORMS: tuple[tuple[str, Callable[..., Any]], ...] = ((".json", open), (".json.gz", gzip.open))


class LeanFileLoader(JSONFileLoader):
    """botocore's model files, a service model's without the documentation of its operations and shapes."""

    def load_file(self, file_path: str) -> Any:
        """The parsed file as botocore reads it, into plain dicts (they keep their order as botocore's
        OrderedDicts do, and parse much faster); a service model's documentation strings left out, and a
        large one's operations the report never calls (its path is data/<service>/<api version>/service-2)."""
        data = read_json(file_path)
        if isinstance(data, dict) and isinstance(data.get("operations"), dict) and isinstance(data.get("shapes"), dict):
            without_documentation(data)
            path = PurePath(file_path)
            if path.name == "service-2" and path.parent.parent.name in CALLED_OPERATIONS:
                only_operations(data, CALLED_OPERATIONS[path.parent.parent.name])
        return data


def read_json(file_path: str) -> Any:
    """The file at file_path plus the first extension botocore would find, parsed; None when there is none."""
    for extension, opener in MODEL_FILE_FORMS:
        if os.path.isfile(file_path + extension):
            with opener(file_path + extension, "rb") as file:
                return json.loads(file.read().decode("utf-8"))
    return None


def without_documentation(model: dict[str, Any]) -> None:
    """Drop the service's, each operation's, each shape's and each member's documentation string (botocore
    reads the other documentation it keeps, such as a client context parameter's)."""
    model.pop("documentation", None)
    for operation in model["operations"].values():
        operation.pop("documentation", None)
    for shape in model["shapes"].values():
        shape.pop("documentation", None)
        for member in (shape.get("members") or {}).values():
            member.pop("documentation", None)


def only_operations(model: dict[str, Any], called: frozenset[str]) -> None:
    """Keep the model's operations that are called, the shapes they reach, and every error shape (a client's
    exceptions are built from them)."""
    model["operations"] = {name: operation for name, operation in model["operations"].items() if name in called}
    shapes = model["shapes"]
    wanted = [name for name, shape in shapes.items() if isinstance(shape, dict) and shape.get("exception")]
    for operation in model["operations"].values():
        wanted += [operation[key]["shape"] for key in ("input", "output") if isinstance(operation.get(key), dict)]
        wanted += [error["shape"] for error in operation.get("errors", [])]
    reached: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in reached or not isinstance(shapes.get(name), dict):
            continue
        reached.add(name)
        shape = shapes[name]
        wanted += [member["shape"] for member in (shape.get("members") or {}).values()]
        wanted += [shape[key]["shape"] for key in ("member", "key", "value") if isinstance(shape.get(key), dict)]
    model["shapes"] = {name: shape for name, shape in shapes.items() if name in reached}


def read_lean(session: botocore.session.Session) -> None:
    """Make the session read models without their documentation, from the paths it would read them from;
    built on first use as botocore's own, so a missing profile is still found when boto3 sets it."""
    def lean_loader() -> Loader:
        loader = create_loader(session.get_config_variable("data_path"))
        loader.file_loader = LeanFileLoader()
        return loader

    session.lazy_register_component("data_loader", lean_loader)


def share_models(session: botocore.session.Session) -> bool:
    """Make the session's clients share each service's model and class; False when this botocore cannot."""
    with _install_lock:
        creator = botocore.client.ClientCreator
        if not all(callable(getattr(creator, name, None)) for name in SHARED_METHODS):
            return False
        for name in SHARED_METHODS:
            method = getattr(creator, name)
            if not getattr(method, "shares_models", False):
                setattr(creator, name, shared(method))
        _built.setdefault(session.get_component("event_emitter"), {})
    return True


def shared(build: Callable[..., Any]) -> Callable[..., Any]:
    """botocore's method, answering from the session's store when the session shares its models.

    The store's key is the method and its arguments: the service's name, and the API version or the
    shared model (one object for every region, hashed by identity).
    """
    @wraps(build)
    def method(creator: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        store = _built.get(creator._event_emitter)
        if store is None:
            return build(creator, service_name, *args, **kwargs)
        key = (build.__name__, service_name, *args, *sorted(kwargs.items()))
        if key not in store:
            store[key] = build(creator, service_name, *args, **kwargs)
        return store[key]

    method.shares_models = True  # type: ignore[attr-defined]
    return method


def share_between(session: botocore.session.Session, other: botocore.session.Session) -> bool:
    """Make `session` read models through `other`'s loader and share its models and classes: another
    account's clients are built as this account's are. False when this botocore cannot share."""
    session.register_component("data_loader", other.get_component("data_loader"))
    if not share_models(other):
        return False
    with _install_lock:
        _built[session.get_component("event_emitter")] = _built[other.get_component("event_emitter")]
    return True
