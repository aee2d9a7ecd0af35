# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The broker's RSA keys: generate, load (with the strength the broker's .NET runtime needs), compare, write
as PEM, and keep encrypted at rest on the controller.

Pure Python on top of ``cryptography``; certs.py reports whether it is installed (certs.HAS_CRYPTOGRAPHY).
Every refusal raises certs.CertError whose message names the option at fault and the fix. Messages never
contain key material.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rtvs.remote.plugins.module_utils.tls.certs import CertError, _as_bytes

try:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError:  # pragma: no cover - certs.HAS_CRYPTOGRAPHY reports it
    pass

MIN_KEY_SIZE = 2048
# Passphrases of keys encrypted at rest (internal CA, broker keys on the controller): vault strings, 12+ characters.
MIN_KEY_PASSPHRASE = 12
# Where the passphrase of a broker key kept on the controller comes from, for messages.
KEY_PASSPHRASE_SOURCE = "privatekey_passphrase (in the roles: rtvs_controller_key_passphrase, from vault)"


def generate_key(key_size=MIN_KEY_SIZE):
    if key_size < MIN_KEY_SIZE:
        raise CertError("key_size %d is too weak; use %d or more" % (key_size, MIN_KEY_SIZE))
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


_LOADED_KEYS = {}  # (PEM bytes, passphrase) -> key object, for this process only


def load_private_key(data, option, passphrase=None, check_strength=True):
    """Load a PEM private key; refuse malformed input, a wrong passphrase, or (check_strength) a weak/non-RSA key."""
    data = _as_bytes(data)
    if not data or b"PRIVATE KEY-----" not in data:
        raise CertError(
            "%s holds no PEM private key (no '-----BEGIN ... PRIVATE KEY-----' block); point %s at the PEM key file"
            % (option, option)
        )
    password = _as_bytes(passphrase) if passphrase else None
    # one process often loads the same key more than once (broker_certificate, then pfx, in the role's plan step);
    # loading an RSA key checks it, which costs more than the rest of an idempotence check
    key = _LOADED_KEYS.get((data, password))
    if key is not None:
        if check_strength:
            check_key_strength(key, option)
        return key
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise CertError("%s is encrypted; give its passphrase in the matching *_passphrase option" % option)
        raise CertError("%s is not encrypted; remove the passphrase option for it" % option)
    except ValueError:
        if password is not None:
            raise CertError(
                "%s could not be decrypted or parsed; check its passphrase option and that the file is an intact PEM key"
                % option
            )
        raise CertError("%s is a malformed PEM private key; replace it with an intact copy" % option)
    except UnsupportedAlgorithm:
        raise CertError("%s uses an unsupported key algorithm; use an RSA key" % option)
    if len(_LOADED_KEYS) >= 4:
        _LOADED_KEYS.clear()
    _LOADED_KEYS[(data, password)] = key
    if check_strength:
        check_key_strength(key, option)
    return key


def check_key_strength(key, option, min_bits=MIN_KEY_SIZE):
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertError(
            "%s is a %s key; the RTVS broker's .NET runtime needs RSA: use an RSA key of %d bits or more"
            % (option, type(key).__name__.replace("_", "").replace("PrivateKey", ""), min_bits)
        )
    if key.key_size < min_bits:
        raise CertError(
            "%s is an RSA key of %d bits, too weak; use at least %d bits (openssl genrsa %d)"
            % (option, key.key_size, min_bits, min_bits)
        )


def key_matches(cert, key):
    return cert.public_key().public_numbers() == key.public_key().public_numbers()


def same_private_key(a, b):
    return a.private_numbers() == b.private_numbers()


def key_pem(key, passphrase=None):
    """PKCS#8 PEM: unencrypted (what openssl and the broker's tooling read), or, with a passphrase, encrypted at rest."""
    if passphrase:
        return encrypted_key_pem(key, passphrase)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def encrypted_key_pem(key, passphrase):
    """PKCS#8 PEM encrypted with the best algorithm cryptography offers (AES-256-CBC, PBKDF2).

    The one implementation of keys encrypted at rest: the internal CA's keys (ca.py) and the broker keys kept on
    the controller (privatekey_passphrase of broker_certificate).
    """
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_as_bytes(passphrase)),
    )


def key_pem_encrypted(data):
    """Whether PEM key bytes are encrypted (PKCS#8 ENCRYPTED PRIVATE KEY, or a legacy Proc-Type ENCRYPTED block)."""
    data = _as_bytes(data) or b""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data or b"Proc-Type: 4,ENCRYPTED" in data


def passphrase_problem(option, passphrase, variable):
    """A passphrase for keys at rest that is too short to resist guessing, or None; ``variable`` is the role's name."""
    if passphrase is not None and len(passphrase) < MIN_KEY_PASSPHRASE:
        return ("%s must have at least %d characters; set %s to a longer one (ansible-vault encrypt_string)"
                % (option, MIN_KEY_PASSPHRASE, variable))
    return None


def load_key_at_rest(data, option, passphrase, variable):
    """Load a key this collection keeps (encrypted with ``passphrase`` when one is given).

    Returns (key, reason): reason says why the file must be rewritten to be encrypted at rest (it is not
    encrypted although a passphrase is set), else None. Refuses an encrypted key without its passphrase, or
    with another one, naming ``variable`` (the role variable that holds the passphrase).
    """
    if key_pem_encrypted(data):
        if not passphrase:
            raise CertError(
                "%s is encrypted at rest and no passphrase is given; set %s to the passphrase it was written with"
                % (option, variable))
        try:
            return load_private_key(data, option, passphrase, check_strength=False), None
        except CertError:
            raise CertError(
                "%s does not open with the given passphrase (%s); give the passphrase it was written with, or "
                "remove the key file to have a new key issued" % (option, variable))
    key = load_private_key(data, option, check_strength=False)
    if passphrase:
        return key, "%s is not encrypted at rest; it is rewritten encrypted with the passphrase" % option
    return key, None
