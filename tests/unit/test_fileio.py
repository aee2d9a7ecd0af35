import os
import stat

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio


def test_atomic_write_new_file_defaults_to_0600(tmp_path):
    target = tmp_path / "secret.json"
    assert fileio.atomic_write(str(target), b"data") is None
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_atomic_write_keeps_existing_mode_when_unset(tmp_path):
    target = tmp_path / "conf"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    fileio.atomic_write(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_backup_keeps_bytes_and_original_mode(tmp_path):
    target = tmp_path / "conf"
    target.write_bytes(b"original")
    os.chmod(target, 0o600)
    backup = fileio.atomic_write(str(target), b"new", mode="0644", backup=True)
    assert backup and os.path.basename(backup).startswith("conf.")
    with open(backup, "rb") as handle:
        assert handle.read() == b"original"
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_no_temp_files_left_behind(tmp_path):
    target = tmp_path / "conf"
    fileio.atomic_write(str(target), b"x", mode=0o640)
    fileio.atomic_write(str(target), b"y", backup=True)
    names = sorted(os.listdir(tmp_path))
    assert not [n for n in names if n.endswith(".tmp")]


def test_missing_directory_names_fix(tmp_path):
    with pytest.raises(fileio.FileError, match="does not exist; create it first"):
        fileio.atomic_write(str(tmp_path / "nope" / "f"), b"x")


def test_parse_mode_errors():
    assert fileio.parse_mode("0640") == 0o640
    assert fileio.parse_mode(0o600) == 0o600
    with pytest.raises(fileio.FileError, match="quote it"):
        fileio.parse_mode("rw-r-----")


def test_unknown_owner_and_group_name_fix():
    with pytest.raises(fileio.FileError, match="user 'no-such-user-x' does not exist"):
        fileio.resolve_uid("no-such-user-x")
    with pytest.raises(fileio.FileError, match="group 'no-such-group-x' does not exist"):
        fileio.resolve_gid("no-such-group-x")


def test_attribute_changes(tmp_path):
    target = tmp_path / "f"
    assert fileio.attribute_changes(str(target), mode="0600") == ["missing"]
    target.write_bytes(b"")
    os.chmod(target, 0o644)
    assert fileio.attribute_changes(str(target), mode="0600") == ["mode"]
    assert fileio.apply_attributes(str(target), mode="0600") is True
    assert fileio.attribute_changes(str(target), mode="0600") == []
    assert fileio.apply_attributes(str(target), mode="0600") is False
