"""Issue 14 (Low): broker_facts masked only X509CertificatePassword, not security.secret, and neither redactor
masked the flattened spelling "security:X509CertificatePassword" that ASP.NET reads as the password."""
import json

import pytest

from ansible_collections.rtvs.remote.plugins.module_utils.broker import broker_facts

PASSWORD = "Facts-Redaction-Pw-71c3"
SECRET = "Facts-Redaction-Secret-9e2a"


@pytest.mark.parametrize("config", [
    {"security": {"X509CertificatePassword": PASSWORD, "secret": SECRET}},
    {"security:X509CertificatePassword": PASSWORD, "security:secret": SECRET},
    {"SECURITY": {"x509certificatepassword": PASSWORD}, "Security:Secret": SECRET},
], ids=["nested", "flattened", "other case"])
def test_config_facts_return_no_password_and_no_secret(tmp_path, config):
    (tmp_path / "etc/rtvs").mkdir(parents=True)
    (tmp_path / "etc/rtvs/rtvsd.config.json").write_text(json.dumps(config))
    facts, password = broker_facts.config_facts(broker_facts.Root(str(tmp_path)), "/etc/rtvs/rtvsd.config.json")
    assert password == PASSWORD  # read, to open the PFX with it
    shown = json.dumps(facts)
    assert PASSWORD not in shown and SECRET not in shown
    assert facts["password_set"] is True and facts["secret_set"] is True
