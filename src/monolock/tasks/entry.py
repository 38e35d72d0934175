"""A stored result as it travels through a shared cache: the key it answers, a digest of
its content and, with a signing key, an HMAC of both, in a header line before the result.

Whatever another machine wrote is checked before it is believed: an entry that is not
whole, answers another key, is not signed or is signed with another key is rejected, and
the task runs. A false pass is worse than a rerun. The digest catches damage; only the
HMAC stops someone who can write to the store from forging a pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, fields

from monolock.tasks.results import Stored

FORMAT = "monolock-task-result-1"


class Rejected(Exception):
    """An entry that is not believed: the message says why."""


def _mac(secret: bytes, key: str, payload: bytes) -> str:
    return hmac.new(secret, key.encode() + b"\n" + payload, hashlib.sha256).hexdigest()


def seal(key: str, stored: Stored, secret: bytes | None) -> bytes:
    payload = json.dumps(asdict(stored), sort_keys=True).encode()
    header: dict[str, str] = {
        "format": FORMAT,
        "key": key,
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    if secret is not None:
        header["hmac-sha256"] = _mac(secret, key, payload)
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def _header(data: bytes) -> tuple[dict[str, object], bytes]:
    head, newline, payload = data.partition(b"\n")
    try:
        header = json.loads(head)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than json goes
        header = None
    if not newline or not isinstance(header, dict) or header.get("format") != FORMAT:
        raise Rejected("not a monolock task result")
    return header, payload


def _stored(payload: bytes) -> Stored:
    try:
        data = json.loads(payload)
        stored = Stored(**data)
    except (ValueError, TypeError, RecursionError) as exc:
        raise Rejected("its content is not a task result") from exc
    text = {f.name for f in fields(Stored)} - {"seconds", "reason"}
    if (
        any(not isinstance(getattr(stored, name), str) for name in text)
        or stored.status not in ("passed", "skipped")
        or not isinstance(stored.seconds, (int, float))
        or not isinstance(stored.reason, (str, type(None)))
    ):
        raise Rejected("its content is not a task result")
    return stored


def unseal(key: str, data: bytes, secret: bytes | None) -> Stored:
    """The result `data` holds for `key`, or Rejected."""
    header, payload = _header(data)
    if header.get("key") != key:
        raise Rejected("it was stored for another key")
    if header.get("sha256") != hashlib.sha256(payload).hexdigest():
        raise Rejected("its content does not match its digest (corrupted or truncated)")
    if secret is not None:
        mac = header.get("hmac-sha256")
        if not isinstance(mac, str):
            raise Rejected("it is not signed, and entries must be")
        if not hmac.compare_digest(mac, _mac(secret, key, payload)):
            raise Rejected("it is signed with another key")
    return _stored(payload)
