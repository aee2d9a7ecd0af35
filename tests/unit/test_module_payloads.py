"""What each Python module ships to a host: the module_utils files ansible-core's AnsiballZ finder puts
in its payload. The doctor's code never goes to a host, every package below module_utils has its
__init__.py (the finder requires one), and every module's payload builds.
"""
import glob
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))
PREFIX = "ansible_collections/rtvs/remote/plugins/module_utils/"


# Runs in a child process: the finder needs ansible-core's collection loader installed, which would
# change how every later test imports.
_FINDER = r"""
import datetime, inspect, io, json, os, sys, zipfile
from ansible.executor import module_common
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[sys.argv[1]])._install()
kwargs = {}
if "extension_manager" in inspect.signature(module_common.recursive_finder).parameters:  # ansible-core 2.19+
    from ansible._internal._ansiballz import _builder
    kwargs["extension_manager"] = _builder.ExtensionManager()
out = {}
for path in sys.argv[2:]:
    name = os.path.splitext(os.path.basename(path))[0]
    with open(path, "rb") as f:
        data = f.read()
    with zipfile.ZipFile(io.BytesIO(), "w") as zf:
        module_common.recursive_finder(name, "ansible_collections.rtvs.remote.plugins.modules." + name, data, zf,
                                       datetime.datetime(2020, 1, 1), **kwargs)
        out[path] = zf.namelist()
print(json.dumps(out))
"""
_CACHE = {}


def payload(path):
    """The collection's module_utils files in the module's AnsiballZ zip."""
    if not _CACHE:
        ac = os.path.join(ROOT, ".work", "ac")
        done = subprocess.run([sys.executable, "-c", _FINDER, ac] + MODULES, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        _CACHE.update(json.loads(done.stdout))
    return [n for n in _CACHE[path] if n.startswith(PREFIX)]


@pytest.mark.parametrize("path", MODULES, ids=[os.path.basename(p) for p in MODULES])
def test_no_doctor_code_in_a_module_payload(path):
    files = payload(path)
    with open(path) as f:
        if "rtvs.remote.plugins.module_utils" in f.read():
            assert files, "the finder found none of the collection's module_utils in %s" % path
    doctor = [f for f in files if f.startswith(PREFIX + "doctor/")]
    assert not doctor, "%s ships doctor code to the host: %s" % (os.path.basename(path), doctor)


def test_the_payloads_hold_what_the_modules_import():
    """The test above cannot pass by finding nothing: the readers the modules use are in their payloads."""
    assert PREFIX + "host/host_readers.py" in payload(os.path.join(ROOT, "plugins", "modules", "broker_facts.py"))
    assert PREFIX + "host/__init__.py" in payload(os.path.join(ROOT, "plugins", "modules", "broker_facts.py"))
    pfx = payload(os.path.join(ROOT, "plugins", "modules", "pfx.py"))
    assert PREFIX + "tls/pkcs12.py" in pfx and PREFIX + "tls/pkcs12_inspect.py" in pfx


def test_every_module_utils_package_has_an_init():
    base = os.path.join(ROOT, "plugins", "module_utils")
    for entry in sorted(os.listdir(base)):
        if os.path.isdir(os.path.join(base, entry)) and entry != "__pycache__":
            init = os.path.join(base, entry, "__init__.py")
            assert os.path.isfile(init), "%s has no __init__.py: ansible-core's payload finder needs one" % entry
            assert os.path.getsize(init) == 0, "%s must be empty (ansible-test sanity empty-init)" % init
