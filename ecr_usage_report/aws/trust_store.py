"""The CA bundle that verifies AWS's certificates, read once a process instead of once a connection.

botocore verifies every HTTPS connection against a CA bundle (certifi's, over 100 certificates, unless
AWS_CA_BUNDLE or the profile's ca_bundle names another), and urllib3 reads that file into the connection's
SSL context again for every connection it opens, a costly parse (docs/performance.md has the figures)
paid at least once by every client, and a report builds a client per service per enabled region. A client
the factory builds instead gets one SSL context per bundle, holding the bundle already, and its connections
are verified against it: botocore still decides whether to verify and against which bundle.

A bundle is known by its real path and its file's identity and last change, so a rewritten or replaced
bundle (a CA rotated in or out) is read again for the clients built after, as botocore would.

botocore offers no hook for an SSL context, so this sets the context of the client's own pool manager and
wraps its HTTP session's certificate set-up, for that client alone. It leaves the client as botocore built
it when those parts are missing, when the client does not verify, goes through a proxy or presents a
certificate of its own, and for any connection whose context is not the one that holds the bundle.
"""
from __future__ import annotations

import os
import ssl
import threading
from functools import partial
from typing import Any, Callable

from botocore.httpsession import URLLib3Session, create_urllib3_context, get_cert_path

# Bundle (real path, device, inode, size, last change) -> the context holding it. urllib3 sets a context's
# verify_mode from each connection's pool, so a context here only ever serves pools that verify.
_contexts: dict[tuple[str, int, int, int, int], ssl.SSLContext] = {}
_lock = threading.Lock()


def _context_holding(bundle: str) -> ssl.SSLContext:
    """An SSL context as botocore makes one (verifying certificates and host names), with the bundle as it is
    now read into it: one per version of the bundle's file for the life of the process."""
    path = os.path.realpath(bundle)
    found = os.stat(path)
    key = (path, found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)
    with _lock:
        if key not in _contexts:
            context = create_urllib3_context()
            context.load_verify_locations(cafile=path)
            _contexts[key] = context
        return _contexts[key]


def read_bundle_once(client: Any) -> bool:
    """Make the client's HTTPS connections use the context that already holds its CA bundle; False when the
    client is left as botocore built it. Call it before the client's first call."""
    http = getattr(getattr(client, "_endpoint", None), "http_session", None)
    if not isinstance(http, URLLib3Session):
        return False
    verify, setup = getattr(http, "_verify", None), getattr(http, "_setup_ssl_cert", None)
    pool_settings = getattr(getattr(http, "_manager", None), "connection_pool_kw", None)
    proxy_for = getattr(getattr(http, "_proxy_config", None), "proxy_url_for", None)
    if (not verify or not callable(setup) or not isinstance(pool_settings, dict) or "ssl_context" not in pool_settings
            or getattr(http, "_cert_file", None) or not callable(proxy_for)
            or proxy_for(client.meta.endpoint_url) is not None):
        return False
    bundle = get_cert_path(verify)  # botocore's own choice: verify's path, else certifi's or its own bundle
    if not isinstance(bundle, str) or not os.path.isfile(bundle):
        return False
    try:
        context = _context_holding(bundle)
    except OSError:  # ssl.SSLError is one: left to botocore, whose calls then name what is wrong with the bundle
        return False
    pool_settings["ssl_context"] = context
    http._setup_ssl_cert = partial(verify_against, setup, context, bundle)
    return True


def verify_against(setup: Callable[[Any, str, Any], None], context: ssl.SSLContext, bundle: str,
                   pool: Any, url: str, verify: Any) -> None:
    """botocore's certificate set-up of a connection pool; a pool whose connections' context already holds the
    bundle it names does not give them the bundle to read again (their peers' certificates and host names are
    still verified, against that context)."""
    setup(pool, url, verify)
    connections = getattr(pool, "conn_kw", None)
    if (getattr(pool, "ca_certs", None) == bundle and isinstance(connections, dict)
            and connections.get("ssl_context") is context):
        pool.ca_certs = None
