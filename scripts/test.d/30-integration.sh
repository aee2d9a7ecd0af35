#!/usr/bin/env bash
# Modules through real ansible-playbook on localhost (check, real, check, real). Every test has its own
# temporary files, so they run in parallel (pytest-xdist), one worker per core unless
# RTVS_TEST_WORKERS says otherwise.
set -euo pipefail
python -m pytest -q -p no:cacheprovider -n "${RTVS_TEST_WORKERS:-auto}" \
  ${RTVS_JUNIT_DIR:+--junitxml="$RTVS_JUNIT_DIR/integration.xml"} tests/integration
