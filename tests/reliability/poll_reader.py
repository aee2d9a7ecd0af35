"""A reader in its own process that polls a file while another process rewrites it.

    python poll_reader.py PATH KIND STOPFILE [PASSWORD_FILE]

KIND is ``json`` (the file must parse as JSON) or ``pfx`` (the file must open as PKCS#12 with
the password read from PASSWORD_FILE and hold a private key and a certificate), like the broker
reading its config and certificate at start. Polls until STOPFILE exists, then prints one JSON
line: reads, invalid reads, distinct valid contents seen, and a few examples of what was wrong.
"""
import hashlib
import json
import os
import sys


def valid_json(data, _password):
    json.loads(data.decode("utf-8"))


def valid_pfx(data, password):
    from cryptography.hazmat.primitives.serialization import pkcs12

    loaded = pkcs12.load_pkcs12(data, password)
    if loaded.key is None or loaded.cert is None:
        raise ValueError("PFX without key or certificate")


def main():
    path, kind, stopfile = sys.argv[1:4]
    password = None
    if len(sys.argv) > 4:
        with open(sys.argv[4], "rb") as handle:
            password = handle.read()
    check = {"json": valid_json, "pfx": valid_pfx}[kind]
    reads = invalid = 0
    seen = set()
    verdicts = {}  # sha256 -> None (valid) or the problem; each distinct content is checked once
    problems = []
    while not os.path.exists(stopfile):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            if not seen and not invalid:
                continue  # not written yet
            data = None
        reads += 1
        digest = hashlib.sha256(data).hexdigest() if data is not None else None
        if digest not in verdicts:
            try:
                if data is None:
                    raise ValueError("file missing")
                check(data, password)
                verdicts[digest] = None
            except Exception as exc:  # pylint: disable=broad-except
                verdicts[digest] = "%s (%d bytes)" % (type(exc).__name__, len(data or b""))
        if verdicts[digest] is not None:
            invalid += 1
            if len(problems) < 5:
                problems.append(verdicts[digest])
            continue
        seen.add(digest)
    print(json.dumps({"reads": reads, "invalid": invalid, "distinct": len(seen), "problems": problems}))


if __name__ == "__main__":
    main()
