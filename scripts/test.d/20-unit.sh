#!/usr/bin/env bash
# Unit tests of module_utils and plugins (no hosts).
set -euo pipefail
python -m pytest -q -p no:cacheprovider tests/unit
