#!/usr/bin/env bash
# The whole test suite. Stages run in order; the first failing stage stops the run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=/dev/null
. .work/env.sh
mkdir -p .work/tmp
echo "==> unit tests"
python -m pytest -q tests/unit
