#!/usr/bin/env bash
# The whole test suite: every stage in scripts/test.d/, in name order.
# STAGES="20 30" make test   runs only the stages whose names start with those prefixes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=/dev/null
. .work/env.sh
mkdir -p .work/tmp
# JUnit XML of this run's stages, so later stages (70: the reliability table) reuse earlier results.
export RTVS_JUNIT_DIR="$ROOT/.work/junit/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$RTVS_JUNIT_DIR"
failed=()
start_all=$(date +%s)
for stage in scripts/test.d/*.sh; do
  name=$(basename "$stage" .sh)
  if [ -n "${STAGES:-}" ]; then
    keep=no
    for p in $STAGES; do case "$name" in "$p"*) keep=yes;; esac; done
    [ "$keep" = yes ] || continue
  fi
  echo "==> stage $name"
  t0=$(date +%s)
  if bash "$stage"; then
    echo "==> stage $name passed ($(( $(date +%s) - t0 ))s)"
  else
    echo "==> stage $name FAILED ($(( $(date +%s) - t0 ))s)"
    failed+=("$name")
  fi
done
echo "==> all stages done in $(( $(date +%s) - start_all ))s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
