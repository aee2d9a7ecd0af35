"""Extract selected collections from the PyPI `ansible` wheel into DEST/ansible_collections.

Galaxy is not reachable here; the `ansible` package carries the collections we need.
usage: extract_collections.py WHEEL DEST WANTED_FILE
"""
import sys
import zipfile


def main(wheel: str, dest: str, wanted_file: str) -> None:
    with open(wanted_file, encoding="utf-8") as handle:
        wanted = [line.strip() for line in handle if line.strip()]
    prefixes = tuple(
        "ansible_collections/%s/%s/" % tuple(name.split(".", 1)) for name in wanted
    )
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist() if n.startswith(prefixes)]
        found = {m.split("/")[1] + "." + m.split("/")[2] for m in members}
        missing = sorted(set(wanted) - found)
        if missing:
            sys.exit("collections not in %s: %s" % (wheel, ", ".join(missing)))
        archive.extractall(dest, members)


if __name__ == "__main__":
    main(*sys.argv[1:4])
