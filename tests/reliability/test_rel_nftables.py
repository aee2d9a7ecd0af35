"""M5 (issue 14) on a real host: without ufw, rtvs_allowed_sources is enforced with the role's own nftables table.

rel-a gets nftables (the nft command; the test hosts run with --cap-add NET_ADMIN, see rel_hosts.py, because
nft needs CAP_NET_ADMIN in the container's network namespace) and no ufw, so rtvs_linux_firewall_backend=auto
picks nftables. Converged with rtvs_allowed_sources = [rel-b's address]: rel-b reaches the broker port, the
controller (another address on the podman network) is refused with a TCP reset; the table survives a reboot
of the host and a restart of Debian's nftables.service (which flushes the whole ruleset); a host rule of the
user's own table is left alone; emptying the sources removes the table and its files again. The doctor's
firewall check, run against the host at each stage, reports the table with its sources, warns while
rtvs-firewall.service is stopped (a reboot would lose the table) and when the inventory's sources differ, and
sees nothing limiting the port once the sources are emptied.
"""
import json
import os
import re
import socket
import subprocess
import time

import pytest

import rel_hosts

HOST, CLIENT = "rel-a", "rel-b"
PORT = 5444
NFT_FILE = "/etc/rtvs/firewall.nft"
UNIT = "rtvs-firewall.service"

pytestmark = pytest.mark.skipif(os.environ.get("RTVS_REL_SKIP_NFTABLES") == "1", reason="RTVS_REL_SKIP_NFTABLES=1")


def _recap(output, host):
    match = re.search(r"^%s\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                      output, re.M)
    assert match, (host, output[-3000:])
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def _from_controller(fleet):
    """'open' or 'refused' for a TCP connection from this machine to rel-a's broker port."""
    try:
        socket.create_connection((fleet.instances[HOST]["address"], PORT), timeout=5).close()
        return "open"
    except ConnectionRefusedError:
        return "refused"


def _from_client(fleet):
    """The same from rel-b (python3 in the host)."""
    code = ("import socket\ntry:\n socket.create_connection(('%s', %d), timeout=5).close(); print('open')\n"
            "except ConnectionRefusedError:\n print('refused')\n" % (fleet.instances[HOST]["address"], PORT))
    return fleet.sh(CLIENT, "python3 -c %s" % _quote(code)).stdout.decode().strip()


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _table(fleet):
    proc = fleet.sh(HOST, "nft -j list table inet rtvs", check=False)
    return json.loads(proc.stdout.decode()) if proc.returncode == 0 else None


def _wait_until_listening(fleet):
    for _attempt in range(60):
        if fleet.sh(HOST, "ss -ltn | grep -q ':%d '" % PORT, check=False).returncode == 0:
            return
        time.sleep(1)
    raise AssertionError("rtvsd does not listen on %d on %s" % (PORT, HOST))


def _reboot(fleet):
    """Restart the container (systemd boots again) and read its address again."""
    env = dict(os.environ, CONTAINERS_CONF=rel_hosts.CONTAINERS_CONF)
    name = fleet.container(HOST)
    subprocess.run(["podman", "restart", "-t", "5", name], check=True, capture_output=True, env=env)
    inspect = subprocess.run(["podman", "container", "inspect", "--format", "json", name], check=True,
                             capture_output=True, env=env)
    networks = json.loads(inspect.stdout)[0]["NetworkSettings"]["Networks"]
    fleet.instances[HOST]["address"] = list(networks.values())[0]["IPAddress"]
    # systemd's bus comes up a moment after the container: ask until it answers
    for _attempt in range(90):
        proc = fleet.sh(HOST, "timeout 90 systemctl is-system-running --wait", check=False)
        if proc.stdout.decode().strip() in ("running", "degraded"):
            return
        time.sleep(1)
    raise AssertionError("%s did not boot: %s" % (HOST, proc))


@pytest.fixture(scope="module")
def nft_host(fleet):
    proc = fleet.sh(HOST, "command -v ufw || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables "
                          ">/tmp/nftables-install.log 2>&1 && nft list tables && echo nft-usable", check=False)
    out = proc.stdout.decode()
    if "nft-usable" not in out:
        pytest.fail("nft does not work in the test host (%s): %s" % (proc.returncode, proc.stderr.decode()))
    assert "/ufw" not in out, "the test host has ufw; auto would choose it"
    # the user's own table, which the role must leave alone
    fleet.sh(HOST, "nft add table inet users_own && nft add chain inet users_own input "
                   "'{ type filter hook input priority 10; policy accept; }' && "
                   "nft add rule inet users_own input tcp dport 9999 drop")
    yield fleet
    fleet.sh(HOST, "nft delete table inet users_own", check=False)


def _doctor(fleet, tmp_path, sources):
    """The doctor's firewall row for rel-a, run with rtvs_allowed_sources = ``sources`` in the inventory."""
    return fleet.doctor_check(HOST, "firewall", tmp_path / "doctor-firewall.json",
                              inventory=fleet.inventory(rtvs_allowed_sources=sources), rtvs_doctor_timeout=2)


def _converge(fleet, sources):
    return fleet.converge(limit=HOST, rtvs_allowed_sources=sources, rtvs_linux_health_check=False)


def test_nftables_limits_the_port_to_the_sources_and_keeps_it_after_a_reboot(nft_host, tmp_path):
    fleet = nft_host
    _wait_until_listening(fleet)
    # control: before the role limits it, both reach the broker port
    assert _from_controller(fleet) == "open" and _from_client(fleet) == "open"

    allowed = fleet.instances[CLIENT]["address"]
    result = _converge(fleet, [allowed])
    assert result.rc == 0, result
    assert "rtvs_allowed_sources is set, but" not in result.output
    assert _from_client(fleet) == "open"
    assert _from_controller(fleet) == "refused"
    # the table, its file (0644 root) and the unit enabled at boot; the user's own table untouched
    table = _table(fleet)
    elems = [i["set"].get("elem") for i in table["nftables"] if "set" in i and i["set"]["name"] == "allowed4"]
    assert elems == [[allowed]], table
    assert fleet.sh(HOST, "stat -c '%a %U %G' " + NFT_FILE).stdout.decode().split() == ["644", "root", "root"]
    assert fleet.sh(HOST, "systemctl is-enabled " + UNIT).stdout.decode().strip() == "enabled"
    assert "tcp dport 9999 drop" in fleet.sh(HOST, "nft list table inet users_own").stdout.decode()

    # the doctor sees the table (not only ufw): ok with its sources; warns when the inventory's sources differ,
    # and while the unit is stopped (the table stays loaded, but a reboot would lose it)
    check = _doctor(fleet, tmp_path, [allowed])
    assert check["status"] == "ok", check
    assert "table inet rtvs (rtvs-firewall.service active) allows TCP 5444 only from %s/32" % allowed in check["evidence"]
    check = _doctor(fleet, tmp_path, [allowed, "10.99.0.0/16"])
    assert check["status"] == "warn" and "rtvs_allowed_sources is %s, 10.99.0.0/16" % allowed in check["evidence"], check
    fleet.sh(HOST, "systemctl stop " + UNIT)
    try:
        assert _table(fleet) is not None
        check = _doctor(fleet, tmp_path, [allowed])
        assert check["status"] == "warn" and "rtvs-firewall.service is inactive" in check["evidence"], check
        assert "systemctl enable --now rtvs-firewall.service" in check["fix"]
    finally:
        fleet.sh(HOST, "systemctl start " + UNIT)

    # idempotent: the plan sees the table as loaded and changes nothing
    again = _converge(fleet, [allowed])
    assert again.rc == 0, again
    assert _recap(again.stdout, HOST)["changed"] == 0, again.stdout[-4000:]

    # Debian's nftables.service flushes the whole ruleset when (re)started: the unit loads the table again
    fleet.sh(HOST, "printf '#!/usr/sbin/nft -f\\nflush ruleset\\n' > /etc/nftables.conf && "
                   "systemctl enable --now nftables && systemctl restart nftables")
    assert _table(fleet) is not None, "the table did not come back after nftables.service restarted"
    assert _from_controller(fleet) == "refused"

    # a reboot: systemd starts rtvs-firewall.service before the network and rtvsd
    _reboot(fleet)
    _wait_until_listening(fleet)
    assert _table(fleet) is not None, "the table did not come back after a reboot"
    assert _from_client(fleet) == "open"
    assert _from_controller(fleet) == "refused"


def test_changed_sources_replace_the_table_and_emptied_sources_remove_it(nft_host, tmp_path):
    fleet = nft_host
    # the controller's address as rel-a sees it: the podman network's gateway
    gateway = fleet.sh(HOST, "ip route show default | awk '{print $3}'").stdout.decode().strip()
    result = _converge(fleet, [gateway + "/32"])
    assert result.rc == 0, result
    assert _from_controller(fleet) == "open"
    assert _from_client(fleet) == "refused"

    result = _converge(fleet, [])
    assert result.rc == 0, result
    assert _table(fleet) is None
    assert fleet.sh(HOST, "test -e %s || test -e /etc/systemd/system/%s" % (NFT_FILE, UNIT), check=False).returncode == 1
    assert _from_controller(fleet) == "open" and _from_client(fleet) == "open"
    assert "rtvs_allowed_sources is empty, so TCP 5444 accepts every address" in result.output

    # the doctor: nothing limits the port; with sources in its inventory it warns and names the fix
    check = _doctor(fleet, tmp_path, [])
    assert check["status"] == "ok" and "no host firewall limits TCP 5444" in check["evidence"], check
    assert "no nftables table inet rtvs" in check["evidence"]
    check = _doctor(fleet, tmp_path, [gateway + "/32"])
    assert check["status"] == "warn" and "every address reaches the broker" in check["evidence"], check
    assert "rtvs_linux_firewall_backend: nftables" in check["fix"]
