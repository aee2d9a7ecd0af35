"""The rule layer and the plan through real ansible-playbook: the Jinja test, the redaction filter, and
linux_host_info returning the plan for a desired state (replaces a smoke test that only pinged)."""
import json

PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    config: {"urls": "https://0.0.0.0:5444", "security:X509CertificatePassword": "flat-secret",
             "security": {"secret": "nested-secret"}}
  tasks:
    - ansible.builtin.assert:
        that:
          - "'1:3.6.3-1' is rtvs.remote.supported_r"
          - "'4.2.2.20221110-2' is not rtvs.remote.supported_r"
          - (config | rtvs.remote.broker_config_redact)['security:X509CertificatePassword'] == '********'
          - (config | rtvs.remote.broker_config_redact).security.secret == '********'
    - rtvs.remote.linux_host_info:
        desired:
          check_mode: "{{ ansible_check_mode }}"
          r: {install: false}
          service_account: rtvs-no-such-account
          allowed_group: rtvs-no-such-group
          folders: [{path: "%(dir)s", owner: root, group: root, mode: "0700"}]
          pfx: {path: "%(dir)s/broker.pfx", checksum: null}
          port: 5444
      register: host
      check_mode: false
    - ansible.builtin.copy:
        content: "{{ host.plan | to_json }}"
        dest: "%(out)s"
      check_mode: false
"""


def test_rules_and_plan_through_ansible(playbook, tmp_path):
    out = tmp_path / "plan.json"
    play = tmp_path / "play.yml"
    play.write_text(PLAY % {"dir": tmp_path, "out": out})
    for check in (False, True):
        result = playbook(str(play), check=check)
        assert result.rc == 0, result
        assert "flat-secret" not in result.output and "nested-secret" not in result.output
        plan = json.loads(out.read_text())
        assert plan["check_mode"] is check
        assert plan["todo"]["allowed_group"] and plan["todo"]["service_group"]
        assert plan["config"]["allowed_group_pending"] is check
        # the controller's PFX is not made: pending in check mode, not part of a real run
        assert ("pfx_copy: the controller's PFX is made by this run" in plan["pending"]) is check
        assert not plan["todo"]["pfx_copy"]
