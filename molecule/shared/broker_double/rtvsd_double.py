#!/usr/bin/python3
"""rtvsd TEST DOUBLE -- NOT Microsoft's R Tools for Visual Studio broker.

A small stand-in for Microsoft's `rtvs-daemon` (rtvsd), used only by this collection's Molecule
scenarios because the real .NET Core 1.x package cannot be installed here. It reproduces the
parts of the real daemon that the `rtvs.remote.linux_broker` role configures and checks:

* reads /etc/rtvs/rtvsd.config.json (or the path after --config) with case-insensitive keys;
* listens on every address on the port taken from `urls` (a loopback host turns TLS off);
* loads the PFX from security.X509CertificateFile with security.X509CertificatePassword
  (null means no password) and refuses to start (exit 1, logged) when the config does not
  parse, the PFX does not load or holds no private key;
* stops itself when lifetime.pingTimeout / lifetime.parentProcessID is set (local-broker keys);
* serves TLS 1.2 only;
* writes Microsoft.R.Host.Broker_<startup.name>_<date>_pid<N>.log in logging.logFolder;
* GET /info/about and /info/load need some Basic header (any credentials), else 401 with
  `WWW-Authenticate: Basic realm="Protected Area"`;
* GET /interpreters needs Basic credentials of an existing user who is in security.allowedGroup
  when that is non-empty (the group must exist). LIMITATION: the double runs unprivileged, as the
  real broker does, but has no setuid PAM helper, so it CANNOT verify passwords: any password of
  an existing, allowed user is accepted;
* R interpreters from r.interpreters and dpkg auto-detection (r-base-core, microsoft-r-open-mro*);
  like the real broker only R 3.2-3.9 is accepted, so Debian 12's R 4.2 is logged as rejected.

Everything else of the real API (sessions, pipes, /remoteuri, profiles) is absent: 404.
Needs only python3 and python3-cryptography from Debian.
"""

import argparse
import base64
import datetime
import grp
import json
import os
import platform
import pwd
import re
import signal
import socket
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

DOUBLE_VERSION = "1.3.0.0"
DEFAULT_CONFIG = "/etc/rtvs/rtvsd.config.json"
DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_INFO = "/var/lib/dpkg/info"
SUPPORTED_R = ((3, 2), (3, 9))
USER_PREFIXES = ("<<unix>>\\", "#unix\\", "#local\\")
BASIC_CHALLENGE = 'Basic realm="Protected Area"'


class StartupError(Exception):
    """The broker cannot start; the message says why."""


# --------------------------------------------------------------------------- logging

class BrokerLog:
    """Log to stderr (journald) and, once known, to the broker's log file."""

    def __init__(self):
        self._file = None
        self._lock = threading.Lock()
        self.path = None

    def open(self, folder, name):
        now = datetime.datetime.now()
        # The real FileLoggerProvider formats the date as yyyyMdd_HHmmss (month not padded).
        stamp = "%d%d%02d_%02d%02d%02d" % (now.year, now.month, now.day, now.hour, now.minute, now.second)
        path = os.path.join(folder, "Microsoft.R.Host.Broker_%s_%s_pid%d.log" % (name, stamp, os.getpid()))
        self._file = open(path, "a", encoding="utf-8")  # pylint: disable=consider-using-with
        self.path = path

    def write(self, level, message):
        line = "%s [%s] Microsoft.R.Host.Broker(test double): %s" % (
            datetime.datetime.now().isoformat(timespec="seconds"), level, message)
        with self._lock:
            print(line, file=sys.stderr, flush=True)
            if self._file:
                self._file.write(line + "\n")
                self._file.flush()

    def info(self, message):
        self.write("Information", message)

    def warning(self, message):
        self.write("Warning", message)

    def error(self, message):
        self.write("Error", message)


LOG = BrokerLog()


# --------------------------------------------------------------------------- configuration

def lower_keys(value):
    """Configuration keys are case-insensitive in the real broker (ASP.NET configuration)."""
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def section(config, name):
    value = config.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StartupError("configuration section '%s' must be an object, not %s" % (name, type(value).__name__))
    return value


def load_config(path):
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as exc:
        raise StartupError("cannot read configuration %s: %s" % (path, exc.strerror)) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StartupError("configuration %s does not parse as JSON: %s" % (path, exc)) from exc
    if not isinstance(data, dict):
        raise StartupError("configuration %s must hold a JSON object" % path)
    return lower_keys(data)


def as_bool(value, default=False):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def listen_spec(urls):
    """Port and TLS from `urls` (first of a ';' list); the real broker binds every address."""
    first = str(urls or "https://0.0.0.0:5444").split(";")[0].strip()
    parts = urlsplit(first)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StartupError("urls '%s' is not an http(s) URL" % first)
    try:
        port = parts.port or 5444
    except ValueError as exc:
        raise StartupError("urls '%s' has an invalid port" % first) from exc
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    return port, not loopback


# --------------------------------------------------------------------------- certificate

def load_pfx(path, password):
    """Like new X509Certificate2(file[, password]); returns (key PEM, cert chain PEM, subject)."""
    # Imported here so that a missing python3-cryptography is a clear startup error.
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12
    except ImportError as exc:
        raise StartupError("python3-cryptography is not installed: %s" % exc) from exc
    if not path:
        raise StartupError("security.X509CertificateFile is not set (on Linux the certificate must come from a file)")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise StartupError("cannot read certificate file %s as %s: %s" % (
            path, pwd.getpwuid(os.getuid()).pw_name, exc.strerror)) from exc
    secret = None if password is None else str(password).encode("utf-8")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
    except (ValueError, TypeError) as exc:
        raise StartupError("cannot load %s: wrong X509CertificatePassword or not a PKCS#12 file (%s)" % (path, exc)) from exc
    if key is None:
        raise StartupError("%s holds no private key: server mode SSL must use a certificate with the "
                           "associated private key" % path)
    if cert is None:
        raise StartupError("%s holds no certificate for its private key" % path)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert] + list(extra or []))
    return key_pem, chain_pem, cert.subject.rfc4514_string()


def tls_context(key_pem, chain_pem):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    # ssl wants files: use a private directory and remove it at once.
    with tempfile.TemporaryDirectory(prefix="rtvsd-double-") as tmp:
        cert_file = os.path.join(tmp, "chain.pem")
        key_file = os.path.join(tmp, "key.pem")
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
            handle.write(key_pem)
        with open(cert_file, "wb") as handle:
            handle.write(chain_pem)
        try:
            context.load_cert_chain(cert_file, key_file)
        except ssl.SSLError as exc:
            raise StartupError("certificate and private key do not match: %s" % exc) from exc
    return context


# --------------------------------------------------------------------------- R interpreters

def dpkg_packages():
    """{package: version} of installed packages in the dpkg status file."""
    found = {}
    try:
        with open(DPKG_STATUS, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return found
    for stanza in text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", stanza, re.M))
        if "Package" in fields and "install ok installed" in fields.get("Status", ""):
            found[fields["Package"]] = fields.get("Version", "")
    return found


def owning_package(path):
    """The dpkg package whose file list holds `path`, like the real broker's check."""
    try:
        names = os.listdir(DPKG_INFO)
    except OSError:
        return None
    for name in names:
        if not name.endswith(".list"):
            continue
        try:
            with open(os.path.join(DPKG_INFO, name), encoding="utf-8", errors="replace") as handle:
                if path + "\n" in handle.read():
                    return name[:-5].split(":")[0]
        except OSError:
            continue
    return None


def r_version(version):
    match = re.match(r"^(?:\d+:)?(\d+)\.(\d+)(?:\.(\d+))?", version or "")
    if not match:
        return None
    return tuple(int(x or 0) for x in match.groups())


def check_interpreter(ident, name, base_path, packages):
    """Return (info, None) for an accepted interpreter or (None, reason)."""
    libr = os.path.join(base_path, "lib", "libR.so")
    if not os.path.exists(libr):
        return None, "%s not found" % libr
    package = owning_package(os.path.realpath(libr)) or owning_package(libr)
    if not package:
        return None, "no dpkg package owns %s" % libr
    version = r_version(packages.get(package, ""))
    if version is None:
        return None, "cannot tell the R version of package %s" % package
    if not SUPPORTED_R[0] <= version[:2] <= SUPPORTED_R[1]:
        return None, "R %d.%d is outside the supported range 3.2-3.9 (R 4.x is rejected)" % version[:2]
    return {
        "id": str(ident), "name": name, "path": base_path,
        "binPath": os.path.join(base_path, "bin"), "version": "%d.%d.%d" % version,
    }, None


def find_interpreters(r_section):
    packages = dpkg_packages()
    accepted = []
    configured = r_section.get("interpreters") or {}
    if isinstance(configured, list):  # an array binds as ids "0", "1", ...
        configured = {str(i): v for i, v in enumerate(configured)}
    if not isinstance(configured, dict):
        LOG.error("r.interpreters must be an object (id -> {name, basePath}); ignored")
        configured = {}
    for ident, entry in configured.items():
        entry = entry if isinstance(entry, dict) else {}
        name, base = entry.get("name") or "R", entry.get("basepath")
        if not base:
            LOG.error("r.interpreters.%s has no basePath; rejected" % ident)
            continue
        info, reason = check_interpreter(ident, name, base, packages)
        if info:
            accepted.append(info)
        else:
            LOG.warning("interpreter [%s] %s at %s rejected: %s" % (ident, name, base, reason))
    if as_bool(r_section.get("autodetect"), True):
        detected = [p for p in packages if p == "r-base-core" or p.startswith("microsoft-r-open-mro")]
        for index, package in enumerate(sorted(detected)):
            base = "/usr/lib/R" if package == "r-base-core" else "/opt/microsoft/ropen/%s/lib64/R" % package
            # Auto-detected ids also start at 0, as in the real broker (microsoft/RTVS#3334).
            info, reason = check_interpreter(index, "%s %s" % (package, packages[package]), base, packages)
            if info:
                accepted.append(info)
            else:
                LOG.warning("detected interpreter %s at %s rejected: %s" % (package, base, reason))
    return accepted


# --------------------------------------------------------------------------- HTTP

def basic_credentials(header):
    """(user, password) from an Authorization header, or None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    for prefix in USER_PREFIXES:
        if user.lower().startswith(prefix.lower()):
            user = user[len(prefix):]
            break
    return user, password


def user_allowed(user, allowed_group):
    """Linux group check of the real broker; the password itself cannot be verified here."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return False, "user '%s' does not exist" % user
    if not allowed_group:
        return True, "no allowedGroup: no group check"
    try:
        group = grp.getgrnam(allowed_group)
    except KeyError:
        return False, "allowedGroup '%s' does not exist" % allowed_group
    if group.gr_gid in os.getgrouplist(user, entry.pw_gid):
        return True, "member of '%s'" % allowed_group
    return False, "user '%s' is not in allowedGroup '%s'" % (user, allowed_group)


def read_meminfo():
    info = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return info


class Broker:
    """The state the request handler needs."""

    def __init__(self, allowed_group, interpreters):
        self.allowed_group = allowed_group
        self.interpreters = interpreters

    def about(self):
        mem = read_meminfo()
        names = ["[%s] %s%s" % (i["id"], i["name"], " (Default)" if n == 0 else "")
                 for n, i in enumerate(self.interpreters)]
        uname = platform.uname()
        return {
            "version": DOUBLE_VERSION,
            "osDescription": "%s %s %s" % (uname.system, uname.release, uname.version),
            "is64BitOperatingSystem": sys.maxsize > 2 ** 32,
            "is64BitProcess": sys.maxsize > 2 ** 32,
            "processorCount": os.cpu_count() or 1,
            "workingSet": 0,
            "totalVirtualMemory": mem.get("MemTotal", 0) + mem.get("SwapTotal", 0),
            "freeVirtualMemory": mem.get("MemAvailable", 0) + mem.get("SwapFree", 0),
            "totalPhysicalMemory": mem.get("MemTotal", 0),
            "freePhysicalMemory": mem.get("MemAvailable", 0),
            "connectedUserCount": 0,
            "interpreters": names,
        }

    @staticmethod
    def load():
        mem = read_meminfo()
        total = mem.get("MemTotal", 1) or 1
        return {
            "cpuLoad": min(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)),
            "memoryLoad": 1.0 - mem.get("MemAvailable", total) / total,
            "networkLoad": 0.0,
        }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "Kestrel"

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        LOG.info("%s %s" % (self.address_string(), format % args))

    def send_json(self, status, body, headers=None):
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-RTVS-Test-Double", "true")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def challenge(self, reason):
        LOG.info("401 for %s %s: %s" % (self.command, self.path, reason))
        self.send_json(401, {}, {"WWW-Authenticate": BASIC_CHALLENGE})

    def do_GET(self):  # noqa: N802 (http.server naming)
        broker = self.server.broker
        path = self.path.split("?")[0].rstrip("/").lower()
        credentials = basic_credentials(self.headers.get("Authorization"))
        if credentials is None:
            self.challenge("no Basic credentials")
            return
        if path == "/info/about":
            self.send_json(200, broker.about())
            return
        if path == "/info/load":
            self.send_json(200, broker.load())
            return
        ok, reason = user_allowed(credentials[0], broker.allowed_group)
        if not ok:
            self.challenge(reason)
            return
        if path == "/interpreters":
            self.send_json(200, broker.interpreters)
            return
        self.send_json(404, {"error": "not implemented by the rtvsd test double"})

    do_HEAD = do_GET


class BrokerServer(ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET6

    def __init__(self, port, context, broker):
        self.tls = context
        self.broker = broker
        try:
            super().__init__(("::", port), Handler, bind_and_activate=False)
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        except OSError:  # no IPv6 on this host: IPv4 only
            self.address_family = socket.AF_INET
            super().__init__(("0.0.0.0", port), Handler, bind_and_activate=False)
        try:
            self.server_bind()
            self.server_activate()
        except OSError as exc:
            raise StartupError("cannot listen on port %d: %s" % (port, exc.strerror)) from exc

    def finish_request(self, request, client_address):
        # The TLS handshake happens in the request's own thread, never blocking accept().
        if self.tls is not None:
            request.settimeout(30)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                LOG.info("TLS handshake with %s failed: %s" % (client_address[0], exc))
                return
        self.RequestHandlerClass(request, client_address, self)


# --------------------------------------------------------------------------- main

def start(config_path):
    """Build the server from the configuration or raise StartupError."""
    config = load_config(config_path)
    logging_cfg = section(config, "logging")
    startup = section(config, "startup")
    LOG.open(logging_cfg.get("logfolder") or tempfile.gettempdir(), startup.get("name") or "rtvsd")
    LOG.info("rtvsd TEST DOUBLE (not Microsoft's broker) starting with %s" % config_path)
    lifetime = section(config, "lifetime")
    for key in ("pingtimeout", "parentprocessid"):
        if lifetime.get(key) not in (None, ""):
            return None, "lifetime.%s is set: a local broker stops itself; remove it on a server" % key
    security = section(config, "security")
    port, use_tls = listen_spec(config.get("urls"))
    context = None
    if use_tls:
        key_pem, chain_pem, subject = load_pfx(security.get("x509certificatefile"),
                                               security.get("x509certificatepassword"))
        context = tls_context(key_pem, chain_pem)
        LOG.info("certificate %s loaded" % subject)
    else:
        LOG.warning("urls names a loopback host: TLS is off")
    interpreters = find_interpreters(section(config, "r"))
    LOG.info("interpreters: %s" % (", ".join("[%s] %s (R %s)" % (i["id"], i["name"], i["version"])
                                             for i in interpreters) or "none accepted"))
    allowed_group = security.get("allowedgroup")
    if allowed_group is None:
        allowed_group = "Users"  # the code default when the key is missing
    server = BrokerServer(port, context, Broker(allowed_group, interpreters))
    LOG.info("listening on port %d (%s, every address)" % (port, "TLS 1.2" if use_tls else "plain HTTP"))
    return server, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG)
    args = parser.parse_args(argv)
    try:
        server, stop_reason = start(args.config)
    except StartupError as exc:
        LOG.error("cannot start: %s" % exc)
        return 1
    except OSError as exc:  # e.g. the log folder is not writable for this user
        LOG.error("cannot start: %s" % exc)
        return 1
    if server is None:
        LOG.info(stop_reason)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    finally:
        server.server_close()
        LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
