"""Windows rotation: what the broker served before, and how a failed rotation is put back (module_utils/win_rotate.py).

Fixtures are the gatherer's output (tests/unit/fixtures/windows/, shaped like win_broker_info.ps1 on Windows Server
2019) with the store contents a rotation leaves: the new certificate imported next to the old one, or the old one
already removed by the role's cleanup. Nothing here ran on Windows.
"""
import copy
import datetime
import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter import win_broker
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing, keys
from ansible_collections.rtvs.remote.plugins.module_utils.windows import win_plan, win_rotate

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "windows")
OLD = "3F2A9C1B0D4E5F60718293A4B5C6D7E8F9012345"   # the fixture's certificate: the one served before
NEW = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"
FQDN = "r.example.com"
SUBJECT = "CN=r.example.com"
NOW = datetime.datetime(2027, 1, 1)
BACKUP = "C:\\Program Files\\R Remote Service for Visual Studio\\1.3\\Microsoft.R.Host.Broker.Config.json.4120.20270101-101500~"


def observed(*my):
    """The fixture with LocalMachine\\My holding exactly the given certificates (dicts like the gatherer's)."""
    with open(os.path.join(FIXTURES, "capi_import_no_acl.json")) as handle:
        data = json.load(handle)
    data["stores"]["My"]["certificates"] = list(my)
    return data


def gathered(old_entry, **changes):
    entry = copy.deepcopy(old_entry)
    entry.update(changes)
    return entry


@pytest.fixture
def old():
    with open(os.path.join(FIXTURES, "capi_import_no_acl.json")) as handle:
        return json.load(handle)["stores"]["My"]["certificates"][0]


@pytest.fixture
def new(old):
    return gathered(old, thumbprint=NEW, not_before="2026-12-31T00:00:00Z", not_after="2027-12-31T00:00:00Z")


def info(obs):
    """What rtvs.remote.win_broker_info returns: the derived facts and the raw observations."""
    result = win_plan.derive(obs, SUBJECT, FQDN, now=NOW)
    result["observed"] = obs
    return result


def test_served_certificate_is_the_selected_one(old, new):
    served = win_rotate.served_certificate(info(observed(old)))
    assert served["thumbprint"] == OLD and served["store"] == "My" and served["ours"] is True
    # two with the same Subject: the broker takes the first in the store's order
    assert win_rotate.served_certificate(info(observed(new, old)))["thumbprint"] == NEW
    assert win_rotate.served_certificate(info(observed()))["thumbprint"] is None
    assert win_rotate.served_certificate(info(observed(new, old)))["ours_before"] == sorted([NEW, OLD])


def test_only_what_the_rotation_brought_is_removed(old, new):
    stale = gathered(old, thumbprint="C" * 40, not_after="2027-02-01T00:00:00Z")
    before = win_rotate.served_certificate(info(observed(old, stale)))
    plan = win_rotate.rollback_plan(info(observed(old, stale, new)), before, NEW, FQDN, previous_pfx_thumbprint=OLD)
    assert plan["remove"] == [{"store": "My", "thumbprint": NEW}]
    # the role failed before it imported anything: nothing to remove, no restart
    plan = win_rotate.rollback_plan(info(observed(old, stale)), before, "", FQDN, previous_pfx_thumbprint=OLD)
    assert plan["remove"] == [] and plan["restart"] is False


def test_cleanup_already_removed_the_old_one_so_it_is_imported_again_then_the_new_removed(old, new):
    before = win_rotate.served_certificate(info(observed(old)))
    plan = win_rotate.rollback_plan(info(observed(new)), before, NEW, FQDN, previous_pfx_thumbprint=OLD,
                                    config_backup=BACKUP)
    assert plan["restore_thumbprint"] == OLD and plan["import_previous"] is True
    assert plan["remove"] == [{"store": "My", "thumbprint": NEW}]
    assert plan["restore_config"] == BACKUP and plan["restart"] is True and plan["fail"] is None
    assert "imported again" in " ".join(plan["steps"])


def test_failed_before_cleanup_keeps_the_old_one_and_removes_only_the_new(old, new):
    before = win_rotate.served_certificate(info(observed(old)))
    plan = win_rotate.rollback_plan(info(observed(old, new)), before, NEW, FQDN, previous_pfx_thumbprint=OLD)
    assert plan["import_previous"] is False
    assert plan["remove"] == [{"store": "My", "thumbprint": NEW}]
    assert plan["restore_config"] is None and plan["restart"] is True


def test_old_entry_without_its_key_is_imported_again(old, new):
    before = win_rotate.served_certificate(info(observed(old)))
    keyless = gathered(old, has_private_key=False)
    plan = win_rotate.rollback_plan(info(observed(keyless, new)), before, NEW, FQDN, previous_pfx_thumbprint=OLD)
    assert plan["import_previous"] is True and "without its private key" in " ".join(plan["steps"])


def test_no_pfx_of_the_previous_certificate_removes_nothing_and_says_why(old, new):
    before = win_rotate.served_certificate(info(observed(old)))
    for pfx in (None, NEW):
        plan = win_rotate.rollback_plan(info(observed(new)), before, NEW, FQDN, previous_pfx_thumbprint=pfx)
        assert plan["restore_thumbprint"] is None and plan["remove"] == [] and plan["import_previous"] is False
        assert "cannot be imported again" in plan["fail"] and "the broker keeps %s" % NEW in plan["fail"]
    # the configuration still goes back
    plan = win_rotate.rollback_plan(info(observed(new)), before, NEW, FQDN, config_backup=BACKUP)
    assert plan["restore_config"] == BACKUP and plan["restart"] is True


def test_previous_certificate_not_ours_stays_and_ours_goes(old, new):
    theirs = gathered(old, friendly_name="", thumbprint="B" * 40)
    before = win_rotate.served_certificate(info(observed(theirs)))
    assert before["ours"] is False
    plan = win_rotate.rollback_plan(info(observed(theirs, new)), before, NEW, FQDN)
    assert plan["restore_thumbprint"] == "B" * 40 and plan["import_previous"] is False
    assert plan["remove"] == [{"store": "My", "thumbprint": NEW}]


def test_nothing_served_before_keeps_the_new_certificate(new):
    before = win_rotate.served_certificate(info(observed()))
    plan = win_rotate.rollback_plan(info(observed(new)), before, NEW, FQDN, config_backup=BACKUP)
    assert plan["restore_thumbprint"] is None and plan["remove"] == [] and plan["fail"] is None
    assert plan["restore_config"] == BACKUP


def test_unchanged_certificate_only_restores_the_configuration(old):
    before = win_rotate.served_certificate(info(observed(old)))
    plan = win_rotate.rollback_plan(info(observed(old)), before, OLD, FQDN, previous_pfx_thumbprint=OLD,
                                    config_backup=BACKUP)
    assert plan["restore_thumbprint"] == OLD and plan["import_previous"] is False and plan["remove"] == []
    assert plan["restore_config"] == BACKUP and plan["restart"] is True
    assert win_rotate.rollback_plan(info(observed(old)), before, OLD, FQDN)["restart"] is False


def test_a_certificate_a_winrm_listener_uses_is_never_removed(old, new):
    obs = observed(old, new)
    obs["winrm"]["listeners"].append({"transport": "HTTPS", "address": "*", "port": "5986", "hostname": FQDN,
                                      "thumbprint": NEW})
    before = win_rotate.served_certificate(info(observed(old)))
    assert win_rotate.rollback_plan(info(obs), before, NEW, FQDN, previous_pfx_thumbprint=OLD)["remove"] == []


# ---------------------------------------------------------------- the filters the playbook calls


def test_filter_reads_the_previous_thumbprint_from_the_kept_certificate(old, new):
    key = keys.generate_key()
    kept = issuing.build_certificate(key, FQDN, [], 30)
    kept_thumb = certs.thumbprint_sha1(kept).replace(":", "")
    served_before = gathered(old, thumbprint=kept_thumb)
    before = win_broker.win_served_certificate(info(observed(served_before)))
    pem = certs.certs_pem([kept]).decode("ascii")
    plan = win_broker.win_rollback_plan(info(observed(new)), before, NEW, FQDN, pem, BACKUP)
    assert plan["restore_thumbprint"] == kept_thumb and plan["import_previous"] is True
    plan = win_broker.win_rollback_plan(info(observed(new)), before, NEW, FQDN, "", "")
    assert plan["fail"] and plan["restore_config"] is None
    with pytest.raises(AnsibleFilterError, match="kept before the rotation"):
        win_broker.win_rollback_plan(info(observed(new)), before, NEW, FQDN, "not a certificate")


def test_pfx_pem_keeps_leaf_and_intermediates_not_roots():
    root_key, inter_key, leaf_key = keys.generate_key(), keys.generate_key(), keys.generate_key()
    root = issuing.build_certificate(root_key, "root.example.test", valid_days=60)
    inter = issuing.build_certificate(inter_key, "issuing.example.test", [], 50, root, root_key)
    leaf = issuing.build_certificate(leaf_key, FQDN, [], 30, inter, inter_key)
    chain_pem = certs.certs_pem([inter, root]).decode("ascii")
    leaf_pem = certs.certs_pem([leaf]).decode("ascii")
    assert certs.load_certificates(win_broker.win_pfx_pem(leaf_pem, chain_pem), "x") == [leaf, inter]
    assert certs.load_certificates(win_broker.win_pfx_pem(certs.certs_pem([leaf, inter, root]).decode("ascii")), "x") \
        == [leaf, inter]
    # a CA without an intermediate: the leaf alone, as before
    assert certs.load_certificates(win_broker.win_pfx_pem(leaf_pem, certs.certs_pem([root]).decode("ascii")), "x") == [leaf]
