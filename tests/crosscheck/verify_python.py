#!/usr/bin/env python3
"""Verifies a UserSig with Tencent's official Python library (PyPI tls-sig-api-v2).

Usage: verify_python.py SDKAPPID KEY IDENTIFIER USERSIG
Prints "ok" and exits 0 when the token is valid now, else prints why and exits 1.

The Python library only issues tokens, so this undoes its encoding step by step: the
library's own base64_decode_url (`*`->`+`, `-`->`/`, `_`->`=`, then strict standard
base64), zlib, JSON; then the HMAC is recomputed by the library's private __hmacsha256
(reached through Python's name mangling) and compared with TLS.sig.
"""
import binascii
import hmac
import json
import sys
import time
import zlib

import TLSSigAPIv2 as official


def check(sdkappid, key, identifier, usersig):
    """Returns None when the token is valid, else the reason it is not."""
    try:
        compressed = official.base64_decode_url(usersig.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError) as e:
        return "not base64 in the library's URL alphabet: %s" % e
    try:
        raw = zlib.decompress(compressed)
    except zlib.error as e:
        return "not zlib data: %s" % e
    try:
        doc = json.loads(raw.decode("utf-8"))
    except ValueError as e:
        return "not JSON: %s" % e
    if not isinstance(doc, dict):
        return "JSON is not an object: %r" % (doc,)

    expected_keys = {"TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire", "TLS.sig"}
    missing = expected_keys - set(doc)
    if missing:
        return "missing fields %s in %s" % (sorted(missing), raw.decode("utf-8"))
    if doc["TLS.ver"] != "2.0":
        return "TLS.ver is %r, not '2.0'" % (doc["TLS.ver"],)
    for name in ("TLS.sdkappid", "TLS.time", "TLS.expire"):
        # The official issuers write JSON numbers (Python int(), Node Number()).
        if not isinstance(doc[name], int) or isinstance(doc[name], bool) or doc[name] < 0:
            return "%s is %r, not a non-negative JSON integer" % (name, doc[name])
    if not isinstance(doc["TLS.identifier"], str) or not isinstance(doc["TLS.sig"], str):
        return "TLS.identifier and TLS.sig must be strings"
    if doc["TLS.sdkappid"] != sdkappid:
        return "sdkappid mismatch: token has %d, expected %d" % (doc["TLS.sdkappid"], sdkappid)
    if doc["TLS.identifier"] != identifier:
        return "identifier mismatch: token has %r, expected %r" % (doc["TLS.identifier"], identifier)

    userbuf = doc.get("TLS.userbuf")
    api = official.TLSSigAPIv2(doc["TLS.sdkappid"], key)
    expected_sig = api._TLSSigAPIv2__hmacsha256(
        doc["TLS.identifier"], doc["TLS.time"], doc["TLS.expire"], userbuf
    ).decode("ascii")
    if not hmac.compare_digest(expected_sig, doc["TLS.sig"]):
        return "signature mismatch: TLS.sig is %r, the library computes %r" % (doc["TLS.sig"], expected_sig)

    now = int(time.time())
    expires_at = doc["TLS.time"] + doc["TLS.expire"]
    if now > expires_at:
        return "expired at %d (now %d)" % (expires_at, now)
    return None


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: verify_python.py SDKAPPID KEY IDENTIFIER USERSIG\n")
        return 2
    why = check(int(argv[1]), argv[2], argv[3], argv[4])
    if why is None:
        print("ok")
        return 0
    print(why)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
