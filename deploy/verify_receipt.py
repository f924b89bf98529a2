#!/usr/bin/env python3
"""Verify a ce-service compliance answer offline: python3 verify_receipt.py ANSWER.json KEYS.json

ANSWER.json is one answer as received (GET /api/v1/compliance/{id}, or one item of a batch's
"results"); KEYS.json is what GET /api/v1/compliance/keys returned. Needs only `cryptography`.
Exit status 0 and "valid" when the receipt was made by one of the keys over exactly this answer.
"""

import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main(answer_path: str, keys_path: str) -> int:
    with open(answer_path, encoding="utf-8") as f:
        answer = json.load(f)
    with open(keys_path, encoding="utf-8") as f:
        keys = {k["kid"]: b64url(k["public_key"]) for k in json.load(f)["keys"]}
    receipt = answer.pop("receipt", None)
    if not receipt or receipt.get("alg") != "Ed25519" or receipt.get("kid") not in keys:
        print("invalid: no Ed25519 receipt by a known key")
        return 1
    # The signed bytes: the answer without its receipt, keys sorted, no white space, UTF-8.
    signed = json.dumps(answer, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    try:
        Ed25519PublicKey.from_public_bytes(keys[receipt["kid"]]).verify(b64url(receipt["signature"]), signed)
    except InvalidSignature:
        print("invalid: the answer was changed or not signed by this key")
        return 1
    print(f"valid: signed by key {receipt['kid']}; as_of {answer.get('as_of')}, compliant {answer.get('compliant')}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
