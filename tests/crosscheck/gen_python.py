#!/usr/bin/env python3
"""Prints a UserSig made by Tencent's official Python library (PyPI tls-sig-api-v2).

Usage: gen_python.py SDKAPPID KEY IDENTIFIER EXPIRE_SECS
"""
import sys

from TLSSigAPIv2 import TLSSigAPIv2  # the PyPI package installs this single module


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: gen_python.py SDKAPPID KEY IDENTIFIER EXPIRE_SECS\n")
        return 2
    sdkappid, key, identifier, expire = int(argv[1]), argv[2], argv[3], int(argv[4])
    print(TLSSigAPIv2(sdkappid, key).gen_sig(identifier, expire))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
