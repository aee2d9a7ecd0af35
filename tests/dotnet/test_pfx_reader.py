"""Every PFX shape rtvs.remote.pfx makes, opened by Mono's X509Certificate2 as the broker opens its PFX.

The broker calls new X509Certificate2(file, password) (Security/Certificates.cs) and serves that
certificate's private key over TLS. So each PFX must open with the password the collection
configured, give the leaf (CN=<fqdn>) with its private key, and that key must sign what the leaf's
public key verifies. Mono.Security's PKCS#12 reader (what Mono's X509Certificate2 is built on)
lists the bags: the leaf first, then the chain given in other_certificates, one key.
"""
import pytest

from conftest import FQDN, MODERN, NON_ASCII, PFX_SHAPES

READABLE = [shape for shape in PFX_SHAPES if shape[0] not in (MODERN, NON_ASCII)]


@pytest.fixture(scope="module")
def opened(reader, written):
    requests = [{"kind": "pfx", "path": str(written / (name + ".pfx")), "password": password}
                for name, _source, _chain, password, _encryption, _charset in PFX_SHAPES]
    return {shape[0]: result for shape, result in zip(PFX_SHAPES, reader(requests))}


@pytest.mark.parametrize("name, source, chain, password, encryption, charset", READABLE,
                         ids=[shape[0] for shape in READABLE])
def test_the_broker_constructor_opens_it_and_the_key_signs(opened, name, source, chain, password, encryption,
                                                           charset):
    result = opened[name]
    assert result["ok"], result
    for way in ("constructor", "constructor_exportable"):
        leaf = result[way]
        assert leaf["subject"] == "CN=" + FQDN, (way, leaf)
        assert leaf["has_private_key"] is True, (way, leaf)
        assert leaf["sign_verify"] is True, (way, leaf)
    expected_issuer = "CN=rtvs dotnet test CA" if source == "ca" else "CN=" + FQDN
    assert result["constructor"]["issuer"] == expected_issuer


@pytest.mark.parametrize("name, source, chain, password, encryption, charset", READABLE,
                         ids=[shape[0] for shape in READABLE])
def test_collection_import_and_the_bags_in_the_order_the_broker_expects(opened, name, source, chain, password,
                                                                        encryption, charset):
    result = opened[name]
    imported = result["collection"]["certificates"]
    # Mono's Import keeps the certificate that has the key: the leaf the broker serves
    assert [c["subject"] for c in imported if c["has_private_key"]] == ["CN=" + FQDN], result
    assert all(c["sign_verify"] is True for c in imported if c["has_private_key"])
    assert imported[0]["thumbprint"] == result["constructor"]["thumbprint"]
    bags = result["bags"]
    assert bags["keys"] == 1
    assert bags["certificates"] == ["CN=" + FQDN] + (["CN=rtvs dotnet test CA"] if chain else []), bags


def test_modern_aes256_is_refused_by_the_reader_which_is_why_compat_is_the_default(opened):
    result = opened[MODERN]
    assert not result["ok"]
    assert result["constructor"]["ok"] is False and "CryptographicException" in result["constructor"]["error"]
    assert result["collection"]["ok"] is False
    assert result["bags"]["ok"] is False  # the PBES2/AES-256 bags and SHA-256 MAC are not understood


def test_a_non_ascii_password_is_refused_by_x509certificate2_even_on_a_correct_pfx(opened, written):
    """What password_charset: ascii (the default) and the Linux preflight prevent.

    Mono.Security's own PKCS#12 reader opens the file (the password is encoded correctly), but
    X509Certificate2 does not, as the Linux broker's .NET Core on OpenSSL 1.0.x would not."""
    result = opened[NON_ASCII]
    assert result["bags"]["ok"] is True and result["bags"]["certificates"] == ["CN=" + FQDN]
    assert result["constructor"]["ok"] is False and "CryptographicException" in result["constructor"]["error"]


def test_a_wrong_password_is_refused_so_a_pass_means_something(reader, written):
    name, _source, _chain, password = PFX_SHAPES[0][:4]
    result = reader([{"kind": "pfx", "path": str(written / (name + ".pfx")), "password": password + "x"}])[0]
    assert result["constructor"]["ok"] is False and result["collection"]["ok"] is False
