# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The internal CA rtvs.remote keeps on the controller (rtvs_certificate_source: internal_ca).

One folder holds one CA:

    root.crt          the root certificate clients trust (0644)
    root.key          its RSA key, PKCS#8 PEM encrypted with the passphrase (0600)
    intermediate.crt  optional issuing CA signed by the root (0644)
    intermediate.key  its key, encrypted the same way (0600)

The folder is created 0700; a folder owned by another account, writable by group or
others, reached through a symlink, or inside a git work tree (where the key would end up
committed next to the inventory) is refused. The root is made once and never replaced by
this module: a new root is a CA rotation (a second folder, docs/certificates.md). The
intermediate is (re)issued from the root when it is wanted and missing, not signed by
the root, or inside its renewal window.

Pure Python on ``cryptography`` (no Ansible imports), like certs.py, which issues the
broker certificates from the CA this module keeps.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import stat

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_rules
from ansible_collections.rtvs.remote.plugins.module_utils.common import module_runner
from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio
from ansible_collections.rtvs.remote.plugins.module_utils.tls import certs, issuing, keys
from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import CertError

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
except ImportError:  # pragma: no cover - certs.HAS_CRYPTOGRAPHY reports it
    pass

ROOT_CERT, ROOT_KEY = "root.crt", "root.key"
INTERMEDIATE_CERT, INTERMEDIATE_KEY = "intermediate.crt", "intermediate.key"
MIN_PASSPHRASE = keys.MIN_KEY_PASSPHRASE
DEFAULT_KEY_SIZE = 3072


def default_dir(environ=None):
    """The per-user data folder: $XDG_DATA_HOME/rtvs-remote/ca, else ~/.local/share/rtvs-remote/ca."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "rtvs-remote", "ca")


def doctor_trust_root(ca_file="", source="", ca_dir="", ca_certificate="", environ=None):
    """The CA file the doctor's trust check verifies brokers against, and why (no Ansible, controller side).

    ``ca_file`` (rtvs_doctor_ca_file) given: that file. Else with ``source`` ``internal_ca``, or no source set
    and a root in the CA folder (``ca_dir``, default default_dir()), that root: clients managed by role
    client_trust trust exactly it. ``source`` ``ca`` with a readable ``ca_certificate``: that CA. Otherwise the
    controller's system store (path None). A file replaces the system store in the check, so the internal root
    is not used for another source (a public CA's certificate would then look untrusted).

    Returns {path, origin: given|internal_ca|ca|system, note}: ``note`` says what was looked for and not found.
    """
    if ca_file:
        return {"path": ca_file, "origin": "given", "note": None}
    source = (source or "").strip()
    folder = os.path.expanduser(ca_dir) if ca_dir else default_dir(environ)
    root = os.path.join(folder, ROOT_CERT)
    if source in ("internal_ca", ""):
        if os.path.isfile(root):
            return {"path": root, "origin": "internal_ca", "note": None}
        if source == "internal_ca":
            return {"path": None, "origin": "system",
                    "note": "the internal CA root %s does not exist on the controller (run the site playbook, which "
                            "creates it), so the system store was used" % root}
    if source == "ca" and ca_certificate:
        path = os.path.expanduser(ca_certificate)
        if os.path.isfile(path):
            return {"path": path, "origin": "ca", "note": None}
        return {"path": None, "origin": "system",
                "note": "rtvs_ca_certificate %s is not a file on the controller, so the system store was used" % path}
    return {"path": None, "origin": "system", "note": None}


def check_folder(path, allow_in_repository=False, euid=None):
    """Refuse an unsafe CA folder. Returns 'missing', 'ok' or 'mode' (exists, mode to tighten to 0700)."""
    euid = os.geteuid() if euid is None else euid
    if not allow_in_repository:
        repo = fileio.git_work_tree(path)
        if repo is not None:
            raise CertError(
                "path %s is inside the git work tree %s, where the CA key would be committed with the inventory; "
                "keep the CA outside any repository (default %s) or set allow_in_repository: true" % (path, repo, default_dir())
            )
    try:
        st = os.lstat(path)
    except OSError:
        parent = os.path.dirname(os.path.abspath(path))
        while parent and not os.path.lexists(parent):
            parent = os.path.dirname(parent)
        pst = os.stat(parent)
        if pst.st_mode & 0o002 and not pst.st_mode & stat.S_ISVTX:
            raise CertError("the folder %s that would hold the CA folder is writable by everyone; choose another path" % parent)
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        raise CertError("path %s is a symlink; give the real folder (a managed path is never followed through a link)" % path)
    if not stat.S_ISDIR(st.st_mode):
        raise CertError("path %s exists and is not a folder; move it away or choose another path" % path)
    if st.st_uid != euid:
        raise CertError(
            "path %s is owned by uid %d, not by the user running Ansible (uid %d); a CA folder another account "
            "controls cannot be trusted: use a folder of your own" % (path, st.st_uid, euid)
        )
    if st.st_mode & 0o022:
        raise CertError(
            "path %s is writable by group or others (mode %04o); anyone who can write there can replace the CA: "
            "fix it with chmod 0700 %s after checking its files" % (path, stat.S_IMODE(st.st_mode), path)
        )
    return "ok" if stat.S_IMODE(st.st_mode) == 0o700 else "mode"


def _check_file(path):
    """Refuse a symlink or non-regular file at a managed path."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise CertError("%s is not a regular file (a symlink or something else); remove it or restore the CA file" % path)


def normalise_domains(domains):
    """Lower-case DNS domains for nameConstraints; refuse wildcards, IPs and malformed names."""
    result = []
    for raw in domains or []:
        name = str(raw).strip().lstrip(".").rstrip(".").lower()
        if not name or "*" in name or certs.parse_ip(name) is not None or any(ch.isspace() or ch == "/" for ch in name):
            raise CertError(
                "permitted_domains entry %r is not a DNS domain; give domains like example.com (covers every name under it)"
                % (raw,)
            )
        try:
            name.encode("ascii")
        except UnicodeEncodeError:
            raise CertError("permitted_domains entry %r is not ASCII; give it in IDNA form (xn--...)" % (raw,))
        if name not in result:
            result.append(name)
    return result


def permitted_domains(cert):
    """The permitted DNS subtrees of a CA certificate's nameConstraints (sorted), [] without any."""
    try:
        nc = cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return []
    return sorted(n.value.lower() for n in (nc.permitted_subtrees or []) if isinstance(n, x509.DNSName))


def _ca_extensions(builder, key, issuer_cert, path_length, domains):
    public = key.public_key()
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
        )
    if domains:
        # RFC 5280 4.2.1.10: conforming CAs mark nameConstraints critical
        builder = builder.add_extension(
            x509.NameConstraints(permitted_subtrees=[x509.DNSName(d) for d in domains], excluded_subtrees=None),
            critical=True,
        )
    return builder


def build_ca(key, common_name, valid_days, path_length, domains, issuer_cert=None, issuer_key=None, now=None):
    """A CA certificate: self-signed root (issuer None) or an intermediate signed by issuer_cert/issuer_key."""
    now = now or certs.utcnow()
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "rtvs.remote"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    expires = now + datetime.timedelta(days=valid_days)
    if issuer_cert is not None and expires > certs.not_after(issuer_cert):
        expires = certs.not_after(issuer_cert)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - issuing.CLOCK_SKEW)
        .not_valid_after(expires)
    )
    builder = _ca_extensions(builder, key, issuer_cert, path_length, domains)
    return builder.sign(issuer_key if issuer_key is not None else key, issuing.signature_hash())


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _load_pair(folder, cert_name, key_name, passphrase, what):
    """(cert, key) from the folder, (None, None) when both are missing; refuses half a pair or a wrong passphrase."""
    cert_path, key_path = os.path.join(folder, cert_name), os.path.join(folder, key_name)
    _check_file(cert_path)
    _check_file(key_path)
    cert_data, key_data = fileio.read_bytes(cert_path), fileio.read_bytes(key_path)
    if cert_data is None and key_data is None:
        return None, None
    if cert_data is None or key_data is None:
        raise CertError(
            "the %s CA in %s is incomplete (%s is missing); restore it from your backup - a new %s would not be "
            "trusted by clients that trust the old one" % (what, folder, cert_name if cert_data is None else key_name, what)
        )
    if b"ENCRYPTED" not in key_data:
        raise CertError("%s is not encrypted; the CA's key must be encrypted at rest (restore the encrypted file)" % key_path)
    cert = certs.load_certificate(cert_data, cert_path)
    try:
        key = keys.load_private_key(key_data, key_path, passphrase)
    except CertError:
        raise CertError(
            "%s does not open with the given passphrase; give the vault passphrase the CA was created with "
            "(rtvs_internal_ca_passphrase); nothing was changed" % key_path
        )
    if not keys.key_matches(cert, key):
        raise CertError("%s does not belong to %s; restore the CA's own key" % (key_path, cert_path))
    if not is_ca(cert):
        raise CertError("%s is not a CA certificate (basicConstraints CA:TRUE missing); restore the CA file" % cert_path)
    return cert, key


def _created_name(kind, now):
    return "rtvs.remote %s CA %s" % (kind, now.strftime("%Y-%m-%d %H%M%S"))


class CAPlan(object):
    """What a run writes (name -> bytes) and why. Holds key bytes: never log it."""

    def __init__(self, folder):
        self.folder = folder
        self.reasons = []
        self.warnings = []
        self.writes = {}
        self.root = None
        self.intermediate = None
        self.folder_state = "ok"
        self.intermediate_wanted = False


def plan(folder, passphrase, intermediate=False, domains=None, root_name=None, root_valid_days=7300,
         intermediate_valid_days=1825, renew_before_days=90, key_size=DEFAULT_KEY_SIZE, allow_in_repository=False,
         now=None):
    """Decide the run: refuses unsafe folders, wrong passphrases and changed constraints before anything is written."""
    now = now or certs.utcnow()
    if not passphrase or len(passphrase) < MIN_PASSPHRASE:
        raise CertError(
            "passphrase must have at least %d characters; set rtvs_internal_ca_passphrase from vault "
            "(ansible-vault encrypt_string)" % MIN_PASSPHRASE
        )
    if key_size < keys.MIN_KEY_SIZE:
        raise CertError("key_size %d is too weak; use %d or more" % (key_size, keys.MIN_KEY_SIZE))
    if renew_before_days < 0 or intermediate_valid_days <= renew_before_days or root_valid_days <= renew_before_days:
        raise CertError(
            "root_valid_days (%d) and intermediate_valid_days (%d) must be greater than renew_before_days (%d) >= 0"
            % (root_valid_days, intermediate_valid_days, renew_before_days)
        )
    keep_domains = domains is None  # None: a new root gets none, an existing root's are accepted as they are
    domains = normalise_domains(domains)
    result = CAPlan(folder)
    result.folder_state = check_folder(folder, allow_in_repository)
    if intermediate is None:  # None: use the intermediate the folder has, or none for a new CA
        intermediate = result.folder_state != "missing" and os.path.lexists(os.path.join(folder, INTERMEDIATE_CERT))
    result.intermediate_wanted = intermediate
    if result.folder_state == "missing":
        result.reasons.append("CA folder %s missing" % folder)
    elif result.folder_state == "mode":
        result.reasons.append("CA folder %s mode differs (wanted 0700)" % folder)
    root, root_key = (None, None) if result.folder_state == "missing" else _load_pair(
        folder, ROOT_CERT, ROOT_KEY, passphrase, "root")
    if root is None:
        root_key = keys.generate_key(key_size)
        root = build_ca(root_key, root_name or _created_name("root", now), root_valid_days,
                        1 if intermediate else 0, domains, now=now)
        result.writes[ROOT_KEY] = keys.encrypted_key_pem(root_key, passphrase)
        result.writes[ROOT_CERT] = certs.certs_pem([root])
        result.reasons.append("root CA created")
    else:
        if not certs.is_self_signed(root):
            raise CertError("%s is not a self-signed root; restore the root CA file" % os.path.join(folder, ROOT_CERT))
        have = permitted_domains(root)
        if keep_domains:
            domains = have
        if have != sorted(domains):
            raise CertError(
                "the root CA in %s permits the domains [%s], the run asks for [%s]; a root cannot change: set "
                "rtvs_internal_ca_permitted_domains back, or introduce a new root (CA rotation, docs/certificates.md)"
                % (folder, ", ".join(have), ", ".join(sorted(domains)))
            )
        if root_name and certs.common_name(root) != root_name:
            raise CertError(
                "the root CA in %s is named %r, the run asks for %r; a root cannot be renamed: set root_name back, "
                "or introduce a new root (CA rotation, docs/certificates.md)" % (folder, certs.common_name(root), root_name)
            )
        certs.check_validity(root, os.path.join(folder, ROOT_CERT), now)
        days = certs._days_left(root, now)
        if days < renew_before_days:
            result.warnings.append(
                "the root CA in %s expires on %s (%.0f days left); introduce a new root now (CA rotation, "
                "docs/certificates.md)" % (folder, certs.iso(certs.not_after(root)), days)
            )
        if intermediate:
            bc = root.extensions.get_extension_for_class(x509.BasicConstraints).value
            if bc.path_length is not None and bc.path_length < 1:
                raise CertError(
                    "the root CA in %s was made without an intermediate (pathlen 0) and cannot sign one; set "
                    "rtvs_internal_ca_intermediate: false, or introduce a new root with an intermediate "
                    "(CA rotation, docs/certificates.md)" % folder
                )
    result.root = root
    if intermediate:
        inter, inter_key = (None, None) if ROOT_CERT in result.writes else _load_pair(
            folder, INTERMEDIATE_CERT, INTERMEDIATE_KEY, passphrase, "intermediate")
        why = None
        if inter is None:
            why = "intermediate CA created"
        elif not certs.signed_by(inter, root):
            why = "intermediate CA is not signed by the root"
        elif permitted_domains(inter) != sorted(domains):
            why = "intermediate CA permits other domains"
        elif certs._days_left(inter, now) < renew_before_days:
            why = "intermediate CA expires on %s, within renew_before_days (%d)" % (
                certs.iso(certs.not_after(inter)), renew_before_days)
        if why:
            inter_key = keys.generate_key(key_size)
            inter = build_ca(inter_key, _created_name("issuing", now), intermediate_valid_days, 0, domains,
                             issuer_cert=root, issuer_key=root_key, now=now)
            result.writes[INTERMEDIATE_KEY] = keys.encrypted_key_pem(inter_key, passphrase)
            result.writes[INTERMEDIATE_CERT] = certs.certs_pem([inter])
            result.reasons.append(why)
        result.intermediate = inter
    return result


def _cert_info(cert):
    info = certs.summary(cert)
    return {k: info[k] for k in ("subject", "fingerprint_sha256", "thumbprint_sha1", "not_after", "serial_number")}


def run(params, check_mode=False, now=None):
    """Do what rtvs.remote.internal_ca does; return the module result (paths and fingerprints, no secrets)."""
    folder = os.path.abspath(os.path.expanduser(params.get("path") or default_dir()))
    result_plan = plan(
        folder, params["passphrase"], params.get("intermediate"), params.get("permitted_domains"), params.get("root_name"),
        params.get("root_valid_days", 7300), params.get("intermediate_valid_days", 1825),
        params.get("renew_before_days", 90), params.get("key_size", DEFAULT_KEY_SIZE),
        params.get("allow_in_repository", False), now,
    )
    intermediate = result_plan.intermediate_wanted
    root_path = os.path.join(folder, ROOT_CERT)
    issuer_cert = os.path.join(folder, INTERMEDIATE_CERT if intermediate else ROOT_CERT)
    issuer_key = os.path.join(folder, INTERMEDIATE_KEY if intermediate else ROOT_KEY)
    result = {
        "changed": bool(result_plan.reasons),
        "reasons": list(result_plan.reasons),
        "warnings": list(result_plan.warnings),
        "path": folder,
        "root_certificate_path": root_path,
        "issuer_certificate_path": issuer_cert,
        "issuer_privatekey_path": issuer_key,
        "chain_paths": ([os.path.join(folder, INTERMEDIATE_CERT)] if intermediate else []) + [root_path],
        # false only in check mode before the issuing certificate exists: nothing can be issued from it yet
        "issuer_ready": not (check_mode and (INTERMEDIATE_CERT if intermediate else ROOT_CERT) in result_plan.writes),
        "permitted_domains": permitted_domains(result_plan.root),
        "root": _cert_info(result_plan.root),
        "intermediate": _cert_info(result_plan.intermediate) if result_plan.intermediate is not None else None,
    }
    if ROOT_CERT in result_plan.writes and check_mode:
        result["root"] = dict.fromkeys(result["root"])
    if INTERMEDIATE_CERT in result_plan.writes and check_mode:
        result["intermediate"] = dict.fromkeys(result["intermediate"])
    lines = ["%s: %s\n" % (name, broker_rules.MASK + " (encrypted key)" if name.endswith(".key") else "new certificate")
             for name in sorted(result_plan.writes)]
    result["diff"] = {"before": "", "after": "".join(lines)}
    if check_mode or not result["changed"]:
        return result
    if result_plan.folder_state == "missing":
        os.makedirs(folder, mode=0o700)
    os.chmod(folder, 0o700)
    # keys first: a certificate is never written without its key next to it
    for name in (ROOT_KEY, ROOT_CERT, INTERMEDIATE_KEY, INTERMEDIATE_CERT):
        if name in result_plan.writes:
            mode = 0o600 if name.endswith(".key") else 0o644
            fileio.atomic_write(os.path.join(folder, name), result_plan.writes[name], mode=mode,
                                backup=name.startswith("intermediate"))
    return result


# The internal_ca module: its logic, refusals and library (module and action plugin run this).
ENTRY = module_runner.Entry(
    "internal_ca", run, refusals=(CertError, fileio.FileError),
    libraries=["cryptography"],
)
