"""The botocore session a factory's clients are built from: its built-in handlers registered per service,
its settings read once.

Each client copies its session's event handlers as it is built, and botocore registers every service's
(and its documentation generator's, which no call fires) on every session, so most of each copy is of
handlers the client never fires. A lean session starts with the handlers of every service and adds a
service's own, in botocore's order, before its first client. And botocore reads each setting again, from
the environment and the profile, for every client; a lean session reads them once (settle_settings).
Its clients also share what their events are called (botocore works out its aliases again per client).
"""
from __future__ import annotations

import copy
import threading
from typing import Any

import botocore.session
from botocore import handlers
from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES, BaseProvider
from botocore.exceptions import BotoCoreError
from botocore.hooks import EventAliaser
from botocore.utils import EVENT_ALIASES

DOCUMENTATION_EVENTS = "docs"
# The settings a defaults mode other than legacy changes as botocore builds each client (its smart defaults).
SMART_DEFAULT_SETTINGS = frozenset({"retry_mode", "sts_regional_endpoints", "connect_timeout", "s3"})
# Every other setting botocore's default config store maps: the session's, and its proxy section.
SETTINGS = tuple(name for name in (*BOTOCORE_DEFAUT_SESSION_VARIABLES, "s3", "proxies_config")
                 if name not in SMART_DEFAULT_SETTINGS)


def event_service(event_name: str) -> str | None:
    """The service a handler's event is scoped to, as botocore's events name it (its service id,
    hyphenized, after botocore's aliases of older names); None for an event of every service."""
    parts = event_name.split(".")
    if len(parts) < 2 or parts[1] == "*":
        return None
    return EVENT_ALIASES.get(".".join(parts[1:3])) or EVENT_ALIASES.get(parts[1]) or parts[1]


def register_builtin(session: botocore.session.Session, spec: tuple) -> None:
    """Register one of botocore's built-in handlers as botocore's own sessions do."""
    event_name, handler, *where = spec
    if not where:
        session.register(event_name, handler)
    elif where[0] is handlers.REGISTER_FIRST:
        session.get_component("event_emitter").register_first(event_name, handler)
    else:
        session.get_component("event_emitter").register_last(event_name, handler)


class SharedNamesAliaser(EventAliaser):
    """botocore's event aliaser, whose copies (each client's) share one store of the names events go by:
    a name's alias depends on botocore's table alone."""

    def __copy__(self) -> SharedNamesAliaser:
        copied = super().__copy__()
        copied._alias_name_cache = self._alias_name_cache
        return copied


class LeanSession(botocore.session.Session):
    """A botocore session whose built-in handlers scoped to one service are registered before its first client.

    So a handler registered on the session itself for a service runs before botocore's for it, and one of
    botocore's unregistered before the service's first client comes back; the report registers handlers
    on clients only."""

    def __init__(self) -> None:
        super().__init__(include_builtin_handlers=False)
        self._events = SharedNamesAliaser(self._original_handler)  # botocore offers no way to pass its aliaser
        self.register_component("event_emitter", self._events)
        self._by_service: dict[str, list[tuple]] = {}
        self._registered: set[tuple[str, str | None]] = set()  # (client name, API version) whose handlers are in
        for spec in handlers.BUILTIN_HANDLERS:
            if spec[0].split(".")[0] == DOCUMENTATION_EVENTS:
                continue
            service = event_service(spec[0])
            if service is None:
                register_builtin(self, spec)
            else:
                self._by_service.setdefault(service, []).append(spec)
        # reentrant: building a client may build the credential chain's STS client in the same thread
        self._registering = threading.RLock()

    def create_client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """botocore's client, once the handlers scoped to its service are registered."""
        with self._registering:
            self.register_service_handlers(service_name, kwargs.get("api_version"))
            return super().create_client(service_name, *args, **kwargs)

    def register_service_handlers(self, service_name: str, api_version: str | None = None) -> None:
        """Register the built-in handlers scoped to a service (once; a service with none has none)."""
        if (service_name, api_version) in self._registered:
            return
        named = self.get_component("event_emitter").emit_until_response(
            "choose-service-name", service_name=service_name)[1] or service_name
        service = self.get_service_model(named, api_version).service_id.hyphenize()
        for spec in self._by_service.pop(service, ()):
            register_builtin(self, spec)
        self._registered.add((service_name, api_version))


class Settled(BaseProvider):
    """A setting's value as read once; a fresh copy of a section (the proxies') for each reader."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def provide(self) -> Any:
        return copy.deepcopy(self._value) if isinstance(self._value, (dict, list)) else self._value

    def __repr__(self) -> str:
        return f"Settled({self._value!r})"


def settle_settings(session: botocore.session.Session) -> None:
    """Read each of the session's settings now, and keep the value for its clients: the environment
    and profile are read once, not once per client. Each stays a provider, which botocore replaces per
    client where it must (a service's own endpoint variables); the settings a defaults mode changes per
    client are left to botocore. A setting that cannot be read is left for botocore to report as it
    builds a client."""
    store = session.get_component("config_store")
    for name in SETTINGS:
        if store.get_config_provider(name) is None:
            continue
        try:
            value = store.get_config_variable(name)
        except (ValueError, BotoCoreError):
            continue
        store.set_config_provider(name, Settled(value))
