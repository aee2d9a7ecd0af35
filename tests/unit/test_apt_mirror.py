"""scripts/apt_mirror.py: the test-host image takes its Debian mirror from this machine's apt sources."""
import importlib.util
import os
import re
import urllib.parse

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "apt_mirror.py")
SPEC = importlib.util.spec_from_file_location("apt_mirror", SCRIPT)
apt_mirror = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(apt_mirror)


def write(root, relpath, text):
    path = root / "etc" / "apt" / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_deb822_sources_with_comments_give_mirror_and_security(tmp_path):
    write(tmp_path, "sources.list.d/debian.sources", """Types: deb
# a snapshot comment line
URIs: http://mirror.internal.test/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.internal.test/debian-security
Suites: bookworm-security
Components: main
""")
    assert apt_mirror.find_mirrors(str(tmp_path)) == (
        "http://mirror.internal.test/debian", "http://mirror.internal.test/debian-security")


def test_one_line_format_with_options_and_deb_src(tmp_path):
    write(tmp_path, "sources.list", """# deb http://commented.test/debian bookworm main
deb-src http://src-only.test/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] https://proxy.test:3142/debian bullseye main contrib
deb https://proxy.test:3142/security bullseye/updates main
""")
    assert apt_mirror.find_mirrors(str(tmp_path)) == (
        "https://proxy.test:3142/debian", "https://proxy.test:3142/security")


def test_sources_list_is_read_before_the_folder_and_the_first_mirror_wins(tmp_path):
    write(tmp_path, "sources.list", "deb http://first.test/debian trixie main\n")
    write(tmp_path, "sources.list.d/a.list", "deb http://second.test/debian bookworm main\n")
    assert apt_mirror.find_mirrors(str(tmp_path))[0] == "http://first.test/debian"


def test_disabled_and_ignored_files_and_other_distributions_do_not_count(tmp_path):
    write(tmp_path, "sources.list.d/ubuntu.list", "deb http://ubuntu.test/ubuntu jammy main\n")
    write(tmp_path, "sources.list.d/off.sources",
          "Types: deb\nURIs: http://off.test/debian\nSuites: bookworm\nEnabled: no\n")
    write(tmp_path, "sources.list.d/x.list.disabled-by-admin", "deb http://x.test/debian bookworm main\n")
    write(tmp_path, "sources.list.d/local.list", "deb file:/srv/debian bookworm main\n")
    write(tmp_path, "sources.list.d/node.sources",
          "Types: deb\nURIs: https://node.test/node_20.x\nSuites: nodistro\n")
    assert apt_mirror.find_mirrors(str(tmp_path)) == (None, None)


def test_no_mirror_fails_naming_the_override(tmp_path, capsys):
    write(tmp_path, "sources.list.d/ubuntu.list", "deb http://ubuntu.test/ubuntu jammy main\n")
    assert apt_mirror.main(["--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "RTVS_DEBIAN_MIRROR" in err and "ubuntu.list" in err


def test_mirror_without_security_prints_an_empty_security(tmp_path, capsys):
    write(tmp_path, "sources.list", "deb http://m.test/debian bookworm main\n")
    assert apt_mirror.main(["--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["MIRROR=http://m.test/debian", "SECURITY="]


@pytest.mark.parametrize("suite,expected", [
    ("bookworm", ("bookworm", False)), ("bookworm-updates", ("bookworm", False)),
    ("bookworm-security", ("bookworm", True)), ("buster/updates", ("buster", True)),
    ("jammy-security", ("jammy", True)),
])
def test_base_suite(suite, expected):
    assert apt_mirror.base_suite(suite) == expected


# Registry and mirror domains, as patterns (so this file does not name them either), plus the
# hosts of this machine's own apt sources.
REGISTRY_DOMAINS = re.compile(
    r"\b[\w.-]*\b(debian\.org|ubuntu\.com|pythonhosted\.org|pypi\.org|npmjs\.(org|com)"
    r"|galaxy\.ansible\.com)\b")


def machine_apt_hosts():
    hosts = set()
    for _kind, uri, _suite in apt_mirror.entries("/"):
        host = urllib.parse.urlsplit(uri).hostname
        if host:
            hosts.add(host)
    return hosts


def test_repository_names_no_package_mirror_host():
    """The image build, the docs and the code name no mirror: it comes from the machine."""
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    own_hosts = machine_apt_hosts()
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", ".work", "__pycache__", ".pytest_cache")]
        for name in files:
            path = os.path.join(folder, name)
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (UnicodeDecodeError, OSError):
                continue
            where = os.path.relpath(path, root)
            found += ["%s: %s" % (where, m.group(0)) for m in REGISTRY_DOMAINS.finditer(text)]
            found += ["%s: %s" % (where, host) for host in own_hosts if host in text]
    assert not found
