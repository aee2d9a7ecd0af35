def test_ansible_playbook_runs_locally(playbook, tmp_path):
    play = tmp_path / "ping.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n")
    result = playbook(str(play))
    assert result.rc == 0, result
    assert "ok=1" in result.stdout
