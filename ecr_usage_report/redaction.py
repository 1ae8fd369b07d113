"""Secrets kept out of every log line and message, whatever logs them and however it encodes them.

A webhook URL's path and query are its secret. Once registered, they are replaced by a
placeholder in every log record this process makes (our own, urllib3's, botocore's, at every
level) and in any text passed through scrub(): exception texts, Slack's answers. botocore's
answer bodies are never logged, as they can hold what nobody has registered yet.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

PLACEHOLDER = "<Slack secret>"
MIN_SECRET_CHARS = 4  # shorter fragments (a lone "/") would scrub ordinary text

_lock = threading.Lock()
_fragments: tuple[str, ...] = ()
# botocore logs every answer whole at DEBUG: Lambda's carry every function's environment variables,
# and a secret's read its value, before anyone could register it
UNLOGGED_BODY = "Response body: (not logged: AWS answers hold other functions' environment variables)"


def spellings(text: str) -> set[str]:
    """A fragment as logs and answers may show it: as given, percent-decoded and -encoded (a form's
    `+` for a space too), and JSON-escaped (`\\/` for `/`)."""
    found = {text, unquote(text), unquote_plus(text), quote(text, safe="/"), quote(unquote(text), safe="/?=&"),
             quote(text, safe=""), quote_plus(text), quote_plus(unquote(text), safe="/?=&")}
    return found | {json.dumps(spelling)[1:-1].replace("/", "\\/") for spelling in found}


def register_url(url: str) -> None:
    """Treat the URL, its path, its query and each query value as secrets from now on (all of it, when it
    does not parse)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        add_fragments(spellings(url))
        return
    secret = parts.path + (f"?{parts.query}" if parts.query else "")
    found = set()
    values = [value for _key, value in parse_qsl(parts.query, keep_blank_values=True)]  # echoed without their keys
    for fragment in (url, secret, parts.path, parts.query, *values):
        if len(fragment) >= MIN_SECRET_CHARS:
            found |= spellings(fragment)
    add_fragments(found)


def add_fragments(found: set[str]) -> None:
    global _fragments
    with _lock:  # longest first, so a whole URL is replaced before its path is
        _fragments = tuple(sorted(set(_fragments) | found, key=len, reverse=True))


def register_secret(secret: str) -> None:
    """Treat a token from now on as a secret, in any of its spellings."""
    add_fragments(spellings(secret))


def forget_fragments() -> None:
    """Forget every registered secret (a new container starts with none)."""
    global _fragments
    with _lock:
        _fragments = ()


def scrub(text: str) -> str:
    """Text with every registered secret replaced by the placeholder."""
    for fragment in _fragments:
        if fragment in text:
            text = text.replace(fragment, PLACEHOLDER)
    return text


def clipped(text: str, limit: int, mark: str = "...") -> str:
    """Outside text made fit to show: every secret removed first, then cut to `limit` characters, mark
    included (cut first, a secret's prefix would survive its removal)."""
    text = scrub(text)
    return text if len(text) <= limit else text[:max(limit - len(mark), 0)] + mark


_make_record = logging.getLogRecordFactory()


def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """The log record factory: a record whose message holds a secret gets the scrubbed message."""
    record = _make_record(*args, **kwargs)
    if record.name == "botocore.parsers" and str(record.msg).startswith("Response body"):
        record.msg, record.args = UNLOGGED_BODY, ()
        return record
    if _fragments:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call is logging's to report, as it would be without us
            return record
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
    return record


logging.setLogRecordFactory(scrubbed_record)
