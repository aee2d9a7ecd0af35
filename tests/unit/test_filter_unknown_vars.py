"""Unit tests of rtvs.remote.unknown_variables (misspelt role variables are reported, not ignored)."""
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.filter.unknown_vars import FilterModule, unknown_variables

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _options(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as f:
        return yaml.safe_load(f)["argument_specs"]["main"]["options"]


def test_registered():
    assert FilterModule().filters() == {"unknown_variables": unknown_variables}


def test_known_names_pass_and_misspelt_ones_get_the_intended_option():
    known = ["rtvs_allowed_group", "rtvs_port", "rtvs_pfx_password"]
    assert unknown_variables(["rtvs_port", "rtvs_allowed_group"], known) == []
    assert unknown_variables(["rtvs_alowed_group", "rtvs_port", "rtvs_pfx_pasword"], known) == [
        {"name": "rtvs_alowed_group", "did_you_mean": "rtvs_allowed_group"},
        {"name": "rtvs_pfx_pasword", "did_you_mean": "rtvs_pfx_password"},
    ]


def test_nothing_close_gives_empty_suggestion_and_duplicates_once():
    assert unknown_variables(["rtvs_zzz", "rtvs_zzz"], ["rtvs_port"]) == [{"name": "rtvs_zzz", "did_you_mean": ""}]


def test_ignored_prefixes_and_dict_inputs():
    known = {"rtvs_port": {"type": "int"}}
    names = {"rtvs_windows_msi": 1, "rtvs_doctor_user": 2, "rtvs_prot": 3}
    assert unknown_variables(names, known, ["rtvs_windows_", "rtvs_doctor_"]) == [
        {"name": "rtvs_prot", "did_you_mean": "rtvs_port"}]


def test_against_the_linux_role_spec():
    options = _options("linux_broker")
    names = list(options) + ["rtvs_alowed_group", "rtvs_linux_r_versoin"]
    assert unknown_variables(names, options, ["rtvs_windows_"]) == [
        {"name": "rtvs_alowed_group", "did_you_mean": "rtvs_allowed_group"},
        {"name": "rtvs_linux_r_versoin", "did_you_mean": "rtvs_linux_r_version"},
    ]


@pytest.mark.parametrize("names,known", [("rtvs_port", []), ([1, 2], []), (["a"], None)])
def test_bad_arguments_say_what_is_expected(names, known):
    with pytest.raises(AnsibleFilterError, match="list of variable names"):
        unknown_variables(names, known)
