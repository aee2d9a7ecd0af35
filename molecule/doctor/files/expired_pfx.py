"""Write a PFX holding a certificate for FQDN that expired 30 days ago: expired_pfx.py OUT FQDN (password on stdin)."""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

out, fqdn = sys.argv[1:3]
password = sys.stdin.read().strip().encode()
now = datetime.datetime.now(datetime.timezone.utc)
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)])
cert = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(days=400))
    .not_valid_after(now - datetime.timedelta(days=30))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
    .sign(key, hashes.SHA256())
)
with open(out, "wb") as handle:
    handle.write(pkcs12.serialize_key_and_certificates(fqdn.encode(), key, cert, None, BestAvailableEncryption(password)))
