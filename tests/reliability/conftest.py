"""Fixtures of the reliability suite; helpers live in rel_support.py and rel_hosts.py."""
import os
import pathlib

import pytest

import rel_support


@pytest.fixture
def playbook():
    return rel_support.run_playbook


@pytest.fixture(scope="session")
def fleet(tmp_path_factory):
    """Two podman test hosts, prepared with the rtvsd test double and converged once (session).

    RTVS_REL_REUSE=<folder with instances.yml from an earlier Fleet.create()> reuses running hosts
    (for debugging a single test); they are then left running.
    """
    import rel_hosts

    reuse = os.environ.get("RTVS_REL_REUSE")
    if reuse:
        fleet = rel_hosts.Fleet(pathlib.Path(reuse))
        fleet.load()
        fleet.baseline = fleet.converge()
        yield fleet
        return
    fleet = rel_hosts.Fleet(tmp_path_factory.mktemp("fleet"))
    fleet.create()
    try:
        fleet.prepare()
        fleet.baseline = fleet.converge()
        yield fleet
    finally:
        fleet.destroy()
