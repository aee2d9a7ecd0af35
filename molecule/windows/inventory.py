#!/usr/bin/env python
"""Inventory for the windows scenario: one existing Windows host from environment variables.

RTVS_WINDOWS_HOST      address or name to connect to (absent: empty inventory, the scenario skips)
RTVS_WINDOWS_USER      account with administrator rights
RTVS_WINDOWS_PASSWORD  its password
RTVS_WINDOWS_TRANSPORT ntlm (default), kerberos, credssp, basic
RTVS_WINDOWS_PORT      5986 (default, WinRM over HTTPS) or 5985
RTVS_WINDOWS_CERT_VALIDATION  ignore (default) or validate
RTVS_WINDOWS_FQDN      name clients use for the broker (default RTVS_WINDOWS_HOST)
RTVS_WINDOWS_RTVS_REMOTE_MSI / RTVS_WINDOWS_RHOST_REMOTE_MSI  MSI URLs or controller paths;
                       without them R Services must already be installed on the host
RTVS_WINDOWS_VCREDIST  URL or controller path of vc_redist.x64.exe (optional)
RTVS_WINDOWS_ALLOWED_SOURCES  comma-separated CIDRs for the firewall rule (optional)
"""
import json
import os
import sys

HOST = "rtvs-windows-molecule"


def inventory(env):
    address = env.get("RTVS_WINDOWS_HOST", "").strip()
    if not address:
        return {"_meta": {"hostvars": {}}, "all": {"children": ["rtvs_windows"]}, "rtvs_windows": {"hosts": []}}
    port = int(env.get("RTVS_WINDOWS_PORT", "5986"))
    hostvars = {
        "ansible_host": address,
        "ansible_user": env.get("RTVS_WINDOWS_USER", ""),
        "ansible_password": env.get("RTVS_WINDOWS_PASSWORD", ""),
        "ansible_connection": "winrm",
        "ansible_shell_type": "powershell",
        "ansible_port": port,
        "ansible_winrm_scheme": "https" if port != 5985 else "http",
        "ansible_winrm_transport": env.get("RTVS_WINDOWS_TRANSPORT", "ntlm"),
        "ansible_winrm_server_cert_validation": env.get("RTVS_WINDOWS_CERT_VALIDATION", "ignore"),
        "rtvs_fqdn": env.get("RTVS_WINDOWS_FQDN", "").strip() or address,
    }
    rtvs_msi = env.get("RTVS_WINDOWS_RTVS_REMOTE_MSI", "").strip()
    rhost_msi = env.get("RTVS_WINDOWS_RHOST_REMOTE_MSI", "").strip()
    hostvars["rtvs_windows_services_install"] = bool(rtvs_msi and rhost_msi)
    if rtvs_msi and rhost_msi:
        hostvars["rtvs_windows_rtvs_remote_msi"] = rtvs_msi
        hostvars["rtvs_windows_rhost_remote_msi"] = rhost_msi
    if env.get("RTVS_WINDOWS_VCREDIST", "").strip():
        hostvars["rtvs_windows_vcredist_source"] = env["RTVS_WINDOWS_VCREDIST"].strip()
    sources = [s.strip() for s in env.get("RTVS_WINDOWS_ALLOWED_SOURCES", "").split(",") if s.strip()]
    if sources:
        hostvars["rtvs_allowed_sources"] = sources
    return {
        "_meta": {"hostvars": {HOST: hostvars}},
        "all": {"children": ["rtvs_windows"]},
        "rtvs_windows": {"hosts": [HOST]},
    }


def main(argv):
    data = inventory(os.environ)
    if len(argv) > 2 and argv[1] == "--host":
        json.dump(data["_meta"]["hostvars"].get(argv[2], {}), sys.stdout)
    else:
        json.dump(data, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
