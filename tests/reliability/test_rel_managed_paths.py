"""M3 (issue 14): no module follows a symbolic link, or re-permissions a hard link, at a path it manages.

Every module that writes a file or sets its owner, mode or ACL runs through ansible-playbook on
localhost against a managed path that is a symbolic link to a root-only file (a stand-in for
/etc/shadow, never the real one), a path through a symlinked folder, or a second hard link of such
a file. Each run fails with a message naming the fix, and the target keeps its bytes, owner, mode
and ACL.
"""
import json
import os
import stat

import pytest

import rel_support
from rel_support import snapshot

SHADOW_TEXT = b'{"security": {"secret": "root-only-Canary-88aa"}}\n'
PASSWORD = "Managed-Pfx-Canary-1c4d"
FQDN = "rtvs.example.test"
ACL = "system.posix_acl_access"


@pytest.fixture
def scene(tmp_path):
    """A root-only 'shadow' file outside the work folder, and valid certificate inputs inside it."""
    private = tmp_path / "root-only"
    private.mkdir(mode=0o700)
    shadow = private / "shadow"
    shadow.write_bytes(SHADOW_TEXT)
    os.chmod(str(shadow), 0o600)
    work = tmp_path / "work"
    work.mkdir()
    key = rel_support.new_key()
    (work / "broker.key").write_bytes(rel_support.key_pem(key))
    os.chmod(str(work / "broker.key"), 0o600)
    (work / "broker.crt").write_bytes(rel_support.cert_pem(rel_support.issue(key, [FQDN])))
    return tmp_path, work, shadow


def _state(path):
    """Bytes, mode, owner and ACL of the target (the ACL too: key_access writes one)."""
    try:
        acl = os.getxattr(str(path), ACL)
    except OSError:
        acl = None
    if os.path.isdir(str(path)):
        st = os.stat(str(path))
        return (st.st_mode, st.st_uid, st.st_gid), acl
    return snapshot([str(path)]), acl


def _link(kind, work, name, target):
    path = work / name
    if kind == "symlink":
        os.symlink(str(target), str(path))
    else:
        os.link(str(target), str(path))
    return path


def _fails(result, *messages):
    assert result.rc != 0, result
    for message in messages:
        assert message in result.output, result
    assert "Traceback" not in result.output and "root-only-Canary" not in result.output


SYMLINK_MSG = "is a symbolic link"
CONFIG = {"server": {"urls": "https://0.0.0.0:5444"},
          "security": {"allowedGroup": "", "X509CertificateFile": "/etc/rtvs/rtvsd.pfx"}}
HARDLINK_MSG = "has 2 hard links"


@pytest.mark.parametrize("kind, message", [("symlink", SYMLINK_MSG), ("hardlink", HARDLINK_MSG)])
def test_key_access_refuses_a_link_at_the_key_path(playbook, scene, kind, message):
    _tmp, work, shadow = scene
    path = _link(kind, work, "link.pfx", shadow)
    before = _state(shadow)
    result = playbook("key_access/apply.yml", {"ka_paths": [str(path)], "ka_account": "nobody", "ka_method": "acl"})
    _fails(result, message)
    assert _state(shadow) == before


def test_key_access_never_opens_the_folders_of_a_link_target(playbook, scene):
    tmp_path, work, shadow = scene
    linked_folder = work / "linked"
    os.symlink(str(shadow.parent), str(linked_folder))
    folder_before = _state(shadow.parent)
    before = _state(shadow)
    result = playbook("key_access/apply.yml", {"ka_paths": [str(linked_folder / "shadow")], "ka_account": "nobody",
                                               "ka_method": "acl", "ka_fix_parents": True})
    _fails(result, "goes through a symbolic link", "Give the real path %s" % shadow)
    assert _state(shadow) == before and _state(shadow.parent) == folder_before


@pytest.mark.parametrize("kind, message", [("symlink", SYMLINK_MSG), ("hardlink", HARDLINK_MSG)])
def test_broker_config_refuses_a_link_at_its_path(playbook, scene, kind, message):
    _tmp, work, shadow = scene
    path = _link(kind, work, "rtvsd.config.json", shadow)
    before = _state(shadow)
    result = playbook("broker_config/apply.yml", {
        "bc_path": str(path), "bc_settings": CONFIG,
        "bc_validate_certificate": False, "bc_backup": True}, args=["--diff"])
    _fails(result, message)
    assert _state(shadow) == before
    assert sorted(os.listdir(str(work))) == sorted(["broker.key", "broker.crt", "rtvsd.config.json"])


@pytest.mark.parametrize("kind, message", [("symlink", SYMLINK_MSG), ("hardlink", HARDLINK_MSG)])
def test_pfx_refuses_a_link_at_its_path(playbook, scene, kind, message, tmp_path):
    _tmp, work, shadow = scene
    path = _link(kind, work, "rtvsd.pfx", shadow)
    before = _state(shadow)
    secrets = rel_support.secrets_file(tmp_path / "s.json", pfx_password=PASSWORD)
    result = playbook("pfx/apply.yml", {
        "pfx_path": str(path), "pfx_certificate_path": str(work / "broker.crt"),
        "pfx_privatekey_path": str(work / "broker.key"), "pfx_force": True, "pfx_group": "root"}, args=secrets)
    _fails(result, message)
    assert _state(shadow) == before


@pytest.mark.parametrize("which", ["path", "privatekey_path"])
@pytest.mark.parametrize("kind, message", [("symlink", SYMLINK_MSG), ("hardlink", HARDLINK_MSG)])
def test_broker_certificate_refuses_a_link_at_its_paths(playbook, scene, which, kind, message):
    _tmp, work, shadow = scene
    paths = {"path": work / "new.crt", "privatekey_path": work / "new.key"}
    paths[which] = _link(kind, work, "link-" + which, shadow)
    before = _state(shadow)
    result = playbook("broker_certificate/apply.yml", {
        "bc_path": str(paths["path"]), "bc_privatekey_path": str(paths["privatekey_path"]), "bc_fqdn": FQDN,
        "bc_force": True})
    _fails(result, message)
    assert _state(shadow) == before


def test_permissions_only_change_refuses_a_hard_linked_file(playbook, scene, tmp_path):
    """fileio.apply_attributes (content already right, only the mode differs) on a file with a second name."""
    _tmp, work, _shadow = scene
    secrets = rel_support.secrets_file(tmp_path / "s.json", pfx_password=PASSWORD)
    args = {"pfx_path": str(work / "rtvsd.pfx"), "pfx_certificate_path": str(work / "broker.crt"),
            "pfx_privatekey_path": str(work / "broker.key"), "pfx_group": "root", "pfx_mode": "0600"}
    assert playbook("pfx/apply.yml", args, args=secrets).rc == 0
    elsewhere = tmp_path / "elsewhere.pfx"
    os.link(str(work / "rtvsd.pfx"), str(elsewhere))
    before = _state(elsewhere)
    result = playbook("pfx/apply.yml", dict(args, pfx_mode="0640"), args=secrets)
    _fails(result, HARDLINK_MSG)
    assert _state(elsewhere) == before and stat.S_IMODE(os.stat(str(elsewhere)).st_mode) == 0o600


def test_control_real_files_are_managed(playbook, scene, tmp_path):
    """The same modules on plain files succeed (so each refusal above is caused by the link)."""
    _tmp, work, _shadow = scene
    secrets = rel_support.secrets_file(tmp_path / "s.json", pfx_password=PASSWORD)
    assert playbook("pfx/apply.yml", {
        "pfx_path": str(work / "rtvsd.pfx"), "pfx_certificate_path": str(work / "broker.crt"),
        "pfx_privatekey_path": str(work / "broker.key"), "pfx_group": "root"}, args=secrets).rc == 0
    result = playbook("key_access/apply.yml", {"ka_paths": [str(work / "rtvsd.pfx")], "ka_account": "nobody",
                                               "ka_method": "acl"})
    assert result.rc == 0, result
    result = playbook("broker_config/apply.yml", {
        "bc_path": str(work / "rtvsd.config.json"), "bc_settings": CONFIG,
        "bc_validate_certificate": False})
    assert result.rc == 0, result
    assert json.loads((work / "rtvsd.config.json").read_text())["server"]["urls"] == "https://0.0.0.0:5444"
