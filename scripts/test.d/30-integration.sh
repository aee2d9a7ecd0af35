#!/usr/bin/env bash
# Modules through real ansible-playbook on localhost (check, real, check, real).
set -euo pipefail
python -m pytest -q -p no:cacheprovider ${RTVS_JUNIT_DIR:+--junitxml="$RTVS_JUNIT_DIR/integration.xml"} tests/integration
