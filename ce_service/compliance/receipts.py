"""Ed25519 receipts over a canonical encoding of each answer, and the keys that verify them."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


def canonical(answer: Any) -> bytes:
    """Sorted keys, no white space, UTF-8: what `json.dumps(a, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` gives for the answer without its receipt."""
    return msgspec.json.encode(answer, order="sorted")


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Inverse of b64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """The private key that signs answers, and its public half."""

    private_key: Ed25519PrivateKey
    public_key: bytes
    kid: str

    def receipt(self, answer: Any) -> dict[str, str]:
        """The receipt for an answer (a msgspec Struct or plain data without a receipt)."""
        return {"alg": ALGORITHM, "kid": self.kid, "signature": b64url(self.private_key.sign(canonical(answer)))}


def load_signer(path: Path) -> Signer:
    """Read the PEM private key at `path`, creating one (readable by the owner only) if there is none."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Signer(key, public, key_id(public))


def verify(answer: dict[str, Any], public_keys: dict[str, bytes]) -> bool:
    """True when the answer's receipt was made by one of `public_keys` (kid -> raw key) over this answer."""
    receipt = answer.get("receipt") or {}
    key = public_keys.get(receipt.get("kid", ""))
    if key is None or receipt.get("alg") != ALGORITHM:
        return False
    body = {k: v for k, v in answer.items() if k != "receipt"}
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(unb64url(receipt["signature"]), canonical(body))
    except (InvalidSignature, ValueError, KeyError):
        return False
    return True
