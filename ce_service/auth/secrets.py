"""Random tokens, their stored hashes, password hashing and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

TOKEN_PREFIX = "ce_"


def new_token() -> str:
    """A fresh random bearer or session token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """SHA-256 of a token: tokens are random and long, so a fast hash is safe and keeps lookups cheap."""
    return hashlib.sha256(token.encode()).digest()


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when password matches; runs a full verification even for unknown users."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def csrf_token(secret_key: str, session_token: str) -> str:
    """The CSRF token bound to one session: an HMAC, so nothing extra is stored."""
    return hmac.new(secret_key.encode(), session_token.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret_key: str, session_token: str, presented: str) -> bool:
    """Constant-time comparison of a presented CSRF token."""
    return hmac.compare_digest(csrf_token(secret_key, session_token), presented)
