"""Ed25519 receipts over a canonical encoding of each answer, and the keys that verify them."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

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

    private_key: SigningKey
    public_key: bytes
    kid: str

    def receipt(self, answer: Any) -> dict[str, str]:
        """The receipt for an answer (a msgspec Struct or plain data without a receipt)."""
        return {"alg": ALGORITHM, "kid": self.kid, "signature": b64url(self.private_key.sign(canonical(answer)).signature)}


def load_signer(path: Path) -> Signer:
    """Read the Ed25519 key at `path` (its 32-byte seed, base64url, one line), creating one if there is none.

    A new file is readable by its owner only.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; use theirs
        else:
            with os.fdopen(fd, "w") as f:
                f.write(b64url(bytes(SigningKey.generate())) + "\n")
    try:
        seed = unb64url(path.read_text().strip())
        key = SigningKey(seed)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} does not hold an Ed25519 key (a base64url 32-byte seed): {exc}") from None
    public = bytes(key.verify_key)
    return Signer(key, public, key_id(public))


def verify(answer: dict[str, Any], public_keys: dict[str, bytes]) -> bool:
    """True when the answer's receipt was made by one of `public_keys` (kid -> raw key) over this answer."""
    receipt = answer.get("receipt") or {}
    key = public_keys.get(receipt.get("kid", ""))
    if key is None or receipt.get("alg") != ALGORITHM:
        return False
    body = {k: v for k, v in answer.items() if k != "receipt"}
    try:
        VerifyKey(key).verify(canonical(body), unb64url(receipt["signature"]))
    except (BadSignatureError, ValueError, KeyError, TypeError):
        return False
    return True
