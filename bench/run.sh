#!/usr/bin/env bash
# One command for all five benchmarks (see docs/performance.md):
#   bench/run.sh                      everything (about 15-25 min on 2 cores)
#   bench/run.sh --only 3             just certificate + PFX on localhost (about 2 min)
#   bench/run.sh --only 5             controller CPU per host: ping vs rerun at 1 and 20 hosts (about 8 min)
#   bench/run.sh --help               options (repeat counts, fleet sizes)
# Sets up the environment (scripts/bootstrap.sh once), then runs bench/run.py.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$ROOT"
bash scripts/bootstrap.sh testhost
# shellcheck source=/dev/null
. .work/env.sh
exec python "$ROOT/bench/run.py" "$@"
