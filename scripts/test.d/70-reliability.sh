#!/usr/bin/env bash
# Reliability and security (issue 6): tests/reliability, then the tests elsewhere that the table in
# docs/reliability.md references, then the table's result column is filled from their JUnit XML.
set -euo pipefail
out=.work/reliability
mkdir -p "$out"
rm -f "$out"/junit-*.xml
status=0
python -m pytest -q -p no:cacheprovider --junitxml="$out/junit-reliability.xml" tests/reliability || status=1
# Tests elsewhere that the table references; stage 30 of this same run already ran tests/integration,
# so its JUnit XML is reused instead of running them twice.
skip_prefix='^tests/reliability/'
if [ -n "${RTVS_JUNIT_DIR:-}" ] && [ -s "$RTVS_JUNIT_DIR/integration.xml" ]; then
  cp "$RTVS_JUNIT_DIR/integration.xml" "$out/junit-integration.xml"
  skip_prefix='^tests/(reliability|integration)/'
fi
mapfile -t referenced < <(python scripts/reliability_table.py --node-ids | grep -Ev "$skip_prefix" || true)
if [ "${#referenced[@]}" -gt 0 ]; then
  python -m pytest -q -p no:cacheprovider --junitxml="$out/junit-referenced.xml" "${referenced[@]}" || status=1
fi
junit_args=()
for xml in "$out"/junit-*.xml; do junit_args+=(--junit "$xml"); done
python scripts/reliability_table.py "${junit_args[@]}" || status=1
exit "$status"
