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


# A browser that signed in to an account carries a "known device" cookie: for each account (a few at
# most), the account's id, when the cookie was given and an HMAC of both with the server's secret and
# the account's password hash (so a new password forgets every device). It lets its owner past the
# account-wide slow-down of sign-ins that an attacker with many addresses would otherwise use to lock
# them out; it is no session and opens nothing by itself.
KNOWN_DEVICE_PREFIX = "d1"
MAX_KNOWN_ACCOUNTS = 5


def _device_proof(secret_key: str, user_id: int, password_hash: str, issued: int) -> str:
    message = f"known-device|{user_id}|{issued}|{password_hash}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _device_entries(value: str | None) -> list[tuple[int, int, str]]:
    """(user id, issued at, proof) of each account a known-device cookie names; nothing for anything malformed."""
    if not value or len(value) > 1024 or not value.startswith(KNOWN_DEVICE_PREFIX + "~"):
        return []
    entries = []
    for part in value.split("~")[1:MAX_KNOWN_ACCOUNTS + 1]:
        user_id, _, rest = part.partition(".")
        issued, _, proof = rest.partition(".")
        if user_id.isdigit() and issued.isdigit() and len(user_id) < 19 and len(issued) < 19:
            entries.append((int(user_id), int(issued), proof))
    return entries


def known_device(secret_key: str, value: str | None, user_id: int, password_hash: str, now: int,
                 max_age_seconds: int) -> bool:
    """True when the cookie shows this browser signed in to this account (with its current password) lately."""
    for entry_user, issued, proof in _device_entries(value):
        if entry_user == user_id and now - max_age_seconds <= issued <= now + 300:
            if hmac.compare_digest(proof, _device_proof(secret_key, user_id, password_hash, issued)):
                return True
    return False


def remember_device(secret_key: str, value: str | None, user_id: int, password_hash: str, now: int,
                    max_age_seconds: int) -> str:
    """The known-device cookie after a successful sign-in: this account first, then the others it named still in date."""
    kept = [f"{u}.{i}.{p}" for u, i, p in _device_entries(value)
            if u != user_id and now - max_age_seconds <= i <= now + 300][:MAX_KNOWN_ACCOUNTS - 1]
    fresh = f"{user_id}.{now}.{_device_proof(secret_key, user_id, password_hash, now)}"
    return "~".join([KNOWN_DEVICE_PREFIX, fresh, *kept])
