"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip.py from ci-files.testing.ansible.com, which this
machine cannot reach. It only needs pip (at the pinned version) in an empty venv,
which Python's own ensurepip plus PyPI provide. scripts/test.d/50-sanity.sh puts
this file where ansible-test caches the real one.
"""
import os
import subprocess
import sys

if __name__ == "__main__":
    # ensurepip in its own process: in-process it sets PIP_CONFIG_FILE=/dev/null,
    # which would hide the machine's pip configuration (index, CA bundle) from the next step.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q"] + args, env=env)
