"""Fixtures of the reliability suite; helpers live in rel_support.py."""
import pytest

import rel_support


@pytest.fixture
def playbook():
    return rel_support.run_playbook
