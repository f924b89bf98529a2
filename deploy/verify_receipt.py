#!/usr/bin/env python3
"""Verify a ce-service compliance answer offline:

    python3 verify_receipt.py ANSWER.json KEYS.json [--national-id N]

ANSWER.json is one answer as received (GET /api/v1/compliance/{id}, or one item of a batch's
"results"); KEYS.json is the keys you pinned (what GET /api/v1/compliance/keys returned when you
saved it). With --national-id, also checks that the answer is about the person with that full ID
number (its subject_digest). Needs only `cryptography`. Exit status 0 and "valid" when the receipt
was made by one of the pinned keys over exactly this answer (and, if asked, about that person).
"""

import base64
import binascii
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Refused(ValueError):
    """The input is not something to trust."""


def b64url(text: object) -> bytes:
    """Strict base64url without padding: any other character is refused, not skipped."""
    if not isinstance(text, str):
        raise Refused("base64url text expected")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise Refused(f"not strict base64url: {text[:20]!r}") from None


def no_duplicates(pairs: list) -> dict:
    """A JSON object whose keys are unique (a second "compliant" could hide behind the first)."""
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise Refused(f"duplicate keys in a JSON object: {sorted({k for k in keys if keys.count(k) > 1})}")
    return dict(pairs)


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_duplicates)


def verify(answer: dict, keys: dict, national_id: str | None) -> str:
    """The reason the answer is invalid, or '' when it is valid."""
    receipt = answer.pop("receipt", None)
    if not isinstance(receipt, dict) or receipt.get("alg") != "Ed25519":
        return "no Ed25519 receipt"
    if receipt.get("kid") not in keys:
        return f"signed by key {receipt.get('kid')!r}, which is not among the pinned keys"
    # The signed bytes: the answer without its receipt, keys sorted, no white space, UTF-8.
    signed = json.dumps(answer, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    try:
        Ed25519PublicKey.from_public_bytes(keys[receipt["kid"]]).verify(b64url(receipt.get("signature")), signed)
    except InvalidSignature:
        return "the answer was changed or not signed by this key"
    if national_id is not None:
        digest = hashlib.sha256(b64url(answer.get("salt")) + national_id.strip().upper().encode("ascii")).digest()
        if b64url(answer.get("subject_digest")) != digest:
            return "the answer is about another person than this ID number"
    return ""


def main(argv: list[str]) -> int:
    national_id = None
    if "--national-id" in argv:
        at = argv.index("--national-id")
        if at + 1 >= len(argv):
            sys.exit(__doc__)
        national_id = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    if len(argv) != 2:
        sys.exit(__doc__)
    answer: dict = {}
    kid = None
    try:
        answer = load(argv[0])
        kid = answer.get("receipt", {}).get("kid") if isinstance(answer.get("receipt"), dict) else None
        keys = {k["kid"]: b64url(k["public_key"]) for k in load(argv[1])["keys"]}
        reason = verify(answer, keys, national_id)
    except (Refused, OSError, ValueError, KeyError, TypeError) as exc:
        reason = str(exc)
    if reason:
        print(f"invalid: {reason}")
        return 1
    about = " about this ID number" if national_id else ""
    print(f"valid: signed by pinned key {kid}{about}; answer {answer.get('answer_id')}, as_of {answer.get('as_of')},"
          f" compliant {answer.get('compliant')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
