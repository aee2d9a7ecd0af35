"""The test hosts are real enough: SSH + sudo, systemd as PID 1 and healthy, named, networked."""

import testinfra

from conftest import HOSTS, RUNNER

testinfra_hosts = HOSTS


def test_ssh_login_is_ansible_and_become_gives_root(host):
    assert host.check_output("id -un") == "ansible"
    with host.sudo():
        assert host.check_output("id -u") == "0"


def test_systemd_is_pid1_and_running_without_failed_units(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    assert host.run("systemctl is-system-running").stdout.strip() == "running"
    assert host.check_output("systemctl list-units --failed --no-legend --plain") == ""


def test_sshd_and_journald_are_services(host):
    assert host.service("ssh").is_running
    assert host.service("systemd-journald").is_running


def test_hostname_is_the_inventory_name(host):
    name = host.backend.get_hostname()
    assert host.check_output("hostname") == name
    assert host.file("/etc/machine-id").content_string.strip() != ""


def test_hosts_resolve_each_other_on_the_scenario_network(host):
    for peer in HOSTS:
        peer_address = RUNNER.get_variables(peer)["ansible_host"]
        assert host.check_output("getent hosts %s", peer).split()[0] == peer_address


def test_every_host_has_its_own_ssh_host_key(host):
    keys = {testinfra.get_host("ansible://" + name, ansible_inventory=RUNNER.inventory_file)
            .file("/etc/ssh/ssh_host_ed25519_key.pub").content_string for name in HOSTS}
    assert len(keys) == len(HOSTS)


def test_apt_lists_are_kept_so_cache_valid_time_works(host):
    assert host.run("ls /var/lib/apt/lists/ | grep -c '_Packages$'").stdout.strip() not in ("", "0")


def test_authorized_keys_is_mounted_read_only_at_start_not_baked_in(host):
    assert host.check_output("findmnt -n -o OPTIONS /home/ansible/.ssh/authorized_keys").startswith("ro")
    keys = host.file("/home/ansible/.ssh/authorized_keys")
    assert keys.exists and keys.user == "root"
    with host.sudo():
        assert host.run("touch /home/ansible/.ssh/authorized_keys").rc != 0
