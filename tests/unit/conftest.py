"""Make `ansible_collections.rtvs.remote` importable for unit tests (via .work/ac)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AC = os.path.join(ROOT, ".work", "ac")
if not os.path.isdir(os.path.join(AC, "ansible_collections", "rtvs", "remote")):
    os.makedirs(os.path.join(AC, "ansible_collections", "rtvs"), exist_ok=True)
    os.symlink(ROOT, os.path.join(AC, "ansible_collections", "rtvs", "remote"))
if AC not in sys.path:
    sys.path.insert(0, AC)
# hypothesis (tests/unit/test_pkcs12_properties.py) keeps its files under .work/, not in a .hypothesis folder
# of the checkout, which a built tarball would otherwise hold.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(ROOT, ".work", "hypothesis"))
