# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only; the module is win_broker_info.ps1.

DOCUMENTATION = r"""
---
module: win_broker_info
short_description: Facts about the RTVS remote broker on a Windows host (PowerShell gathers, Python decides)
description:
  - PowerShell (C(win_broker_info.ps1)) gathers raw observations on the host - services, registered R
    installations, .NET and VC++ runtime, the install folder, certificates in LocalMachine C(Root),
    C(AuthRoot), C(CA) and C(My) with their friendly name, key provider and every candidate key file
    (C(Crypto\\RSA\\MachineKeys), C(RSA\\S-1-5-18), C(Crypto\\Keys), C(SystemKeys)) with its SDDL, WinRM
    listeners, firewall rules, the configuration file's bytes and the newest broker log. Each section
    that fails on the host (a stopped firewall service, an unreadable ACL, a locked log) comes back
    as data in RV(errors) instead of failing the module.
  - The action plugin then decides in Python (C(plugins/module_utils/windows/win_plan.py), C(win_keys.py),
    C(win_certs.py)) which certificate the broker serves, where each key is, whether NETWORK SERVICE
    can read it (from the SDDL), whether R is supported, and decodes the configuration (UTF-8 with or
    without BOM, UTF-16 with BOM) with the password masked. The configuration bytes never reach the result.
  - When the configuration names an C(X509CertificateName) the first gathering did not include, the
    certificate stores are read once more for it.
  - Never changes the host. The C(rtvs.remote.windows_broker) role and the doctor role read the same result.
version_added: 0.1.0
extends_documentation_fragment:
  - rtvs.remote.read_only
options:
  subject:
    description:
      - Exact certificate Subject (Windows format) to list in RV(certificates), for example C(CN=r.example.com, O=Example).
      - Defaults to C(CN=<NetBIOS computer name>), which is what the broker uses when
        C(security.X509CertificateName) is not set.
    type: str
  fqdn:
    description:
      - The broker's name; certificates whose Subject contains it are gathered, and those with the friendly
        name C(RTVS broker <fqdn>) are marked RV(certificates[].ours).
    type: str
  thumbprints:
    description:
      - Certificates to gather whatever their Subject.
    type: list
    elements: str
    default: []
  service_names:
    description:
      - Candidate names of the broker service, tried in order; the first that exists is reported.
    type: list
    elements: str
    default: [RRemoteService, RHostBrokerService]
  port:
    description:
      - Broker port; firewall rules for TCP on this port are reported along with the named rules.
    type: int
    default: 5444
  firewall_rule_names:
    description:
      - Firewall rule names to report (the installer creates C(Microsoft.R.Host.Broker) and C(Microsoft.R.Host)).
    type: list
    elements: str
    default: [Microsoft.R.Host.Broker, Microsoft.R.Host]
  log_folder:
    description:
      - Folder with the broker logs (environment variables are expanded on the host).
    type: str
    default: '%SystemRoot%\ServiceProfiles\NetworkService\AppData\Local\Temp'
  log_lines:
    description:
      - How many lines to return in RV(logs.tail) and RV(logs.error_lines).
    type: int
    default: 20
  min_dotnet_release:
    description:
      - .NET Framework 4.x C(Release) value that counts as new enough (394254 is 4.6.1).
    type: int
    default: 394254
attributes:
  action:
    support: full
    description: The decisions are made by the action plugin on the controller.
  platform:
    platforms: windows
    support: full
    description: Windows hosts over WinRM or PSRP only.
notes:
  - The C(config.text) and C(config.content) returns have the values of C(security.X509CertificatePassword)
    and C(secret) replaced by C(********).
  - Never run on a real Windows host by this collection's tests; see docs/windows.md for what was verified where.
seealso:
  - module: rtvs.remote.win_broker_cert_cleanup
  - module: ansible.windows.win_certificate_info
author:
  - rtvs.remote contributors (@rtvs)
"""

EXAMPLES = r"""
- name: Gather broker facts
  rtvs.remote.win_broker_info:
    subject: CN=r.example.com
    fqdn: r.example.com
  register: broker

- name: The certificate the broker will pick is readable by NETWORK SERVICE
  ansible.builtin.assert:
    that:
      - (broker.certificates | selectattr('selected') | first).network_service_read
"""

RETURN = r"""
os:
  description: Operating system.
  returned: always
  type: dict
  contains:
    caption: {description: 'Win32_OperatingSystem caption.', type: str, sample: Microsoft Windows Server 2019 Datacenter}
    version: {description: 'OS version string.', type: str, sample: 10.0.17763}
    build: {description: 'Build number.', type: int, sample: 17763}
    product_type: {description: "C(workstation), C(server), C(domain_controller) or C(unknown).", type: str, sample: server}
dotnet:
  description: .NET Framework 4.x as registered under C(HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full).
  returned: always
  type: dict
  contains:
    release: {description: 'The C(Release) value, null when 4.x is absent.', type: int, sample: 528049}
    version: {description: 'The C(Version) value.', type: str, sample: 4.8.03761}
    minimum_release: {description: 'The O(min_dotnet_release) compared against.', type: int, sample: 394254}
    meets_minimum: {description: 'Whether C(release >= minimum_release).', type: bool, sample: true}
vc_runtime:
  description: Visual C++ 2015-2022 x64 runtime (registry C(VisualStudio\14.0\VC\Runtimes\x64)).
  returned: always
  type: dict
  contains:
    installed: {description: 'Whether C(Installed) is 1.', type: bool, sample: true}
    version: {description: 'Runtime version, null when absent.', type: str, sample: v14.38.33130.00}
    registry_key: {description: 'Key where it was found.', type: str, sample: 'HKLM:\SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64'}
r_installs:
  description: R installations registered under C(HKLM:\SOFTWARE\R-core\R64) and C(R-core\R), without duplicates.
  returned: always
  type: list
  elements: dict
  contains:
    version: {description: 'Version (the registry subkey name).', type: str, sample: 3.6.3}
    path: {description: 'C(InstallPath).', type: str, sample: 'C:\Program Files\R\R-3.6.3'}
    source: {description: "C(R-core\\R64) or C(R-core\\R).", type: str, sample: 'R-core\R64'}
    r_exe_exists: {description: 'Whether C(bin\x64\R.exe) exists.', type: bool, sample: true}
    supported: {description: 'Whether the broker accepts this version (3.2 to 3.9).', type: bool, sample: true}
install_folder:
  description: Broker install folder, or null when not installed.
  returned: always
  type: str
  sample: 'C:\Program Files\R Remote Service for Visual Studio\1.3'
install_folder_source:
  description: "How it was found: C(service) (the broker service's command line), C(search) (newest folder under
    C(%ProgramFiles%)), or null."
  returned: always
  type: str
  sample: service
broker_executable:
  description: Path of C(Microsoft.R.Host.Broker.Windows.exe) (or the 1.1 name C(Microsoft.R.Host.Broker.exe)), or null.
  returned: always
  type: str
rhost_executable:
  description: Path of C(Microsoft.R.Host.exe) in or below the install folder, or null.
  returned: always
  type: str
services:
  description: The three services the broker needs. Each value has the same keys.
  returned: always
  type: dict
  contains:
    broker:
      description: The first of O(service_names) that exists (else the first name with C(exists=false)).
      type: dict
      contains:
        name: {description: 'Service name.', type: str, sample: RRemoteService}
        exists: {description: 'Whether the service is installed.', type: bool}
        state: {description: "Lower-case status (C(running), C(stopped), C(startpending)...), null when absent.", type: str}
        start_mode: {description: "C(auto), C(delayed), C(manual), C(disabled), C(boot), C(system), null when absent.", type: str}
        username: {description: 'Account (C(ObjectName)), e.g. C(NT AUTHORITY\NetworkService).', type: str}
        path: {description: 'Command line (C(ImagePath)).', type: str}
    user_profile:
      description: C(RUserProfileService), same keys as RV(services.broker).
      type: dict
    seclogon:
      description: C(seclogon), same keys as RV(services.broker).
      type: dict
machine_name:
  description: NetBIOS computer name.
  returned: always
  type: str
  sample: RTVS-WIN
broker_subject:
  description: The Subject the broker looks for - C(security.X509CertificateName), else C(CN=<machine_name>).
  returned: always
  type: str
  sample: CN=r.example.com
certificate_subject:
  description: The exact Subject RV(certificates) lists (O(subject), else C(CN=<machine_name>)).
  returned: always
  type: str
  sample: CN=r.example.com
certificates:
  description:
    - Certificates whose Subject equals RV(certificate_subject) (ignoring case) in LocalMachine
      C(Root), C(AuthRoot), C(CA), C(My), in the broker's search order.
    - The first one has C(selected=true); that is the certificate the broker will serve,
      whatever its expiry or private key.
  returned: always
  type: list
  elements: dict
  contains:
    store: {description: 'Store name.', type: str, sample: My}
    store_order: {description: "Position of the store in the search order (0 Root, 1 AuthRoot, 2 CA, 3 My).", type: int, sample: 3}
    thumbprint: {description: 'SHA-1 thumbprint, upper-case hex.', type: str}
    subject: {description: 'Subject.', type: str}
    issuer: {description: 'Issuer.', type: str}
    not_before: {description: 'ISO 8601 UTC.', type: str, sample: '2026-11-25T22:00:00Z'}
    not_after: {description: 'ISO 8601 UTC.', type: str, sample: '2027-11-25T22:00:00Z'}
    expired: {description: 'Whether not_after is in the past.', type: bool}
    friendly_name: {description: 'Friendly name.', type: str, sample: RTVS broker r.example.com}
    has_private_key: {description: 'Whether the store entry claims a private key.', type: bool}
    dns_names: {description: 'DNS names of the certificate.', type: list, elements: str}
    key_provider: {description: "C(csp) (CryptoAPI, by provider type, even when .NET returns RSACng), C(cng) or null.", type: str}
    key_file: {description: 'Private key file under C(%ProgramData%\Microsoft\Crypto), or null.', type: str}
    key_status: {description: "C(found), C(not_found), C(access_denied), C(error) or C(no_key).", type: str}
    key_error: {description: 'Why the key could not be located or its ACL read, or null.', type: str}
    network_service_read:
      description: Whether NETWORK SERVICE (S-1-5-20, directly or through Everyone, Authenticated Users, Users or SERVICE)
        may read the key, decided from the SDDL; null when the key or its ACL was not found.
      type: bool
    selected: {description: 'Whether the broker will pick this one (the first match).', type: bool}
    ours: {description: "Whether it has this collection's friendly name C(RTVS broker <fqdn>).", type: bool}
    used_by: {description: 'What else uses it (a WinRM listener), or null.', type: str}
managed_certificates:
  description: Certificates with this collection's friendly name in the four stores, whatever their Subject (same keys as RV(certificates)).
  returned: always
  type: list
  elements: dict
winrm_listeners:
  description: WinRM listeners (transport, address, port, hostname, thumbprint).
  returned: always
  type: list
  elements: dict
errors:
  description: Sections the host could not read, with the error (for example C(firewall) when the firewall service is stopped).
  returned: always
  type: dict
  sample: {firewall: 'Exception from HRESULT: 0x800706D9'}
observed:
  description: Raw observations the certificate plan needs (C(machine_name), C(subject_contains), C(stores), C(winrm)); never the configuration bytes.
  returned: always
  type: dict
config:
  description: The broker configuration file C(Microsoft.R.Host.Broker.Config.json) in the install folder.
  returned: always
  type: dict
  contains:
    path: {description: 'Path, or null when no install folder was found.', type: str}
    exists: {description: 'Whether the file exists.', type: bool}
    text: {description: 'File text with the certificate password masked, or null.', type: str}
    parsed: {description: 'Whether the text is valid JSON.', type: bool}
    error: {description: 'Read, decode or parse error, or null.', type: str}
    content: {description: 'Parsed JSON (password masked), or null.', type: dict}
    encoding: {description: "C(utf-8), C(utf-8-sig), C(utf-16-le) or C(utf-16-be); null when not read.", type: str}
firewall_rules:
  description: Firewall rules named in O(firewall_rule_names), plus TCP rules whose local ports include O(port).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: 'Rule name.', type: str}
    matched_by: {description: "C(name) or C(port).", type: str}
    enabled: {description: 'Enabled.', type: bool}
    direction: {description: "C(in) or C(out).", type: str}
    action: {description: "C(allow) or C(block).", type: str}
    program: {description: 'Program path, or null.', type: str}
    protocol: {description: "IANA protocol number (6 TCP, 256 any).", type: int}
    local_ports: {description: 'Local ports, or null.', type: str}
    remote_addresses: {description: "Remote addresses as Windows normalises them (C(*) for any).", type: str}
    profiles: {description: "Profile bit mask (1 domain, 2 private, 4 public, 2147483647 all).", type: int}
    grouping: {description: 'Rule group, or null.', type: str}
logs:
  description: The newest C(Microsoft.R.Host.Broker*.log) in O(log_folder).
  returned: always
  type: dict
  contains:
    folder: {description: 'Folder searched (expanded).', type: str}
    newest:
      description: Null when there is no log.
      type: dict
      contains:
        path: {description: 'Log file.', type: str}
        last_write_time: {description: 'ISO 8601 UTC.', type: str}
        size: {description: 'Bytes.', type: int}
    tail: {description: 'Last O(log_lines) non-empty lines.', type: list, elements: str}
    error_lines: {description: "Last O(log_lines) lines mentioning error, fail, exception, not found or critical.",
                  type: list, elements: str}
    error: {description: 'Why the log could not be read (it is shared for reading), or null.', type: str}
"""
