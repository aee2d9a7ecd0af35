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
