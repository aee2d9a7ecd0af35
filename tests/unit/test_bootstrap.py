"""Set-up: a fleet run installs only the controller part; test hosts and tests install podman & co."""
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_dry_run(*args):
    out = subprocess.run(["make", "-n", "-C", ROOT] + list(args), check=True, capture_output=True, text=True)
    return out.stdout


@pytest.mark.parametrize("args,part", [
    (["site", "INVENTORY=inventories/example"], "controller"),
    (["site"], "testhost"),
    (["test"], "test"),
    (["setup"], "controller"),
])
def test_make_target_bootstraps_only_its_part(args, part):
    assert re.findall(r"scripts/bootstrap\.sh (\w+)", make_dry_run(*args)) == [part]


def bootstrap_parts():
    text = open(os.path.join(ROOT, "scripts", "bootstrap.sh")).read()
    return dict((m.group(1), m.group(2).split()) for m in re.finditer(r"^\s+(\w+)\) apt_packages=\(([^)]*)\)", text, re.M))


def test_controller_part_installs_no_container_tools():
    parts = bootstrap_parts()
    assert set(parts) == {"controller", "testhost", "test"}
    assert not {"podman", "runc", "mmdebstrap", "netavark", "aardvark-dns"} & set(parts["controller"])


@pytest.mark.parametrize("part", ["testhost", "test"])
def test_test_host_parts_install_netavark_and_aardvark_dns(part):
    # without them Debian's podman (installed without recommends) falls back to CNI: no DNS between hosts
    assert {"podman", "runc", "mmdebstrap", "netavark", "aardvark-dns"} <= set(bootstrap_parts()[part])
    assert set(bootstrap_parts()["controller"]) <= set(bootstrap_parts()[part])


def test_containers_conf_asks_for_netavark():
    text = open(os.path.join(ROOT, "scripts", "bootstrap.sh")).read()
    assert re.search(r'^\[network\]\nnetwork_backend = "netavark"$', text, re.M)
    assert "podman system reset --force" in text
