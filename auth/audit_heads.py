"""Signed exports of the audit chain's head: what makes a truncated tail detectable.

The MAC chain shows a changed, removed or reordered entry, but not the last entries cut
off: what remains is still a valid chain. So at intervals the trail appends its head
(``seq`` and ``mac`` of the last entry written) to a file, one JSON line signed with
Ed25519 (a key from configuration, not in the database). ``loanwatch audit verify`` then
checks every signed head against the table: an entry ``seq`` that is gone, or that now has
another MAC, is found. Keep the file away from the database's host (copy it to write-once
storage, or ship it with the logs): the signature stops forgery, not deletion.

A line::

    {"exported_at": "2026-12-01T23:59:00.000000+00:00", "mac": "…", "seq": 1234,
     "signature": "<base64 Ed25519 over the other fields but signer>", "signer": "<16 hex>"}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from auth.audit_store import ChainHead

__all__ = ["HeadLine", "HeadSigner", "SignedHead", "append_head", "public_key_name",
           "read_heads", "signature_holds"]

_ED25519_KEY_BYTES: Final = 32


def public_key_name(public_key: bytes) -> str:
    """A short name of an Ed25519 public key (16 hex digits), written on each head."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SignedHead:
    """A chain head as exported: ``seq``, ``mac``, when, by which key, and the signature."""

    seq: int
    mac: str
    exported_at: datetime
    signer: str
    signature: bytes

    def signed_bytes(self) -> bytes:
        return _signed_bytes(self.seq, self.mac, self.exported_at)

    def as_json(self) -> dict[str, object]:
        return {"exported_at": _instant(self.exported_at), "mac": self.mac, "seq": self.seq,
                "signature": base64.b64encode(self.signature).decode(),
                "signer": self.signer}


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _signed_bytes(seq: int, mac: str, exported_at: datetime) -> bytes:
    return orjson.dumps({"exported_at": _instant(exported_at), "mac": mac, "seq": seq},
                        option=orjson.OPT_SORT_KEYS)


class HeadSigner:
    """Signs chain heads with the Ed25519 private key whose 32-byte seed it is given."""

    def __init__(self, private_key: bytes) -> None:
        if len(private_key) != _ED25519_KEY_BYTES:
            raise ValueError(f"an Ed25519 private key is {_ED25519_KEY_BYTES} bytes, "
                             f"got {len(private_key)}")
        self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        self.public_key: bytes = self._key.public_key().public_bytes(Encoding.Raw,
                                                                     PublicFormat.Raw)
        self.name = public_key_name(self.public_key)

    def sign(self, head: ChainHead, exported_at: datetime) -> SignedHead:
        signature = self._key.sign(_signed_bytes(head.seq, head.mac, exported_at))
        return SignedHead(seq=head.seq, mac=head.mac, exported_at=exported_at.astimezone(UTC),
                          signer=self.name, signature=signature)

    def __repr__(self) -> str:
        return f"HeadSigner(public key {self.public_key.hex()})"


def signature_holds(head: SignedHead, public_key: bytes) -> bool:
    """Whether ``head`` was signed by the private key of ``public_key`` (32 raw bytes)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(head.signature,
                                                              head.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True


def append_head(path: Path, head: SignedHead) -> None:
    """Append ``head`` as one line to ``path`` (created with its folder), synced to disk.

    One ``write`` of one short line in append mode: lines of several processes never
    interleave. Raises ``OSError`` when the file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    line = orjson.dumps(head.as_json()) + b"\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True, slots=True)
class HeadLine:
    """One line of a heads file: the head, or why it could not be read."""

    line: int
    head: SignedHead | None
    problem: str = ""


def _parse(text: str) -> SignedHead:
    document = orjson.loads(text)
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    seq, mac = document.get("seq"), document.get("mac")
    if not isinstance(seq, int) or seq < 1:
        raise ValueError("'seq' is not a positive whole number")
    if not isinstance(mac, str):
        raise ValueError("'mac' is not a string")
    exported_at = datetime.fromisoformat(str(document.get("exported_at")))
    if exported_at.tzinfo is None:
        raise ValueError("'exported_at' has no time zone")
    return SignedHead(seq=seq, mac=mac, exported_at=exported_at,
                      signer=str(document.get("signer", "")),
                      signature=base64.b64decode(str(document.get("signature")),
                                                 validate=True))


def read_heads(path: Path) -> list[HeadLine]:
    """Every line of the heads file ``path``; a malformed line is kept with its problem.

    Raises:
        FileNotFoundError: there is no such file.
        OSError: it cannot be read.
    """
    heads = []
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                heads.append(HeadLine(number, _parse(text)))
            except (orjson.JSONDecodeError, ValueError, TypeError, binascii.Error) as exc:
                heads.append(HeadLine(number, None, f"malformed: {exc}"))
    return heads
