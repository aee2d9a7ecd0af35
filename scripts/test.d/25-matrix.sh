#!/usr/bin/env bash
# ansible-core matrix: meta/runtime.yml claims ansible-core 2.16-2.19; the other stages run 2.19
# (constraints.txt). Here, on the newest 2.16, 2.17 and 2.18, with each version's own ansible-test:
#   - `ansible-test sanity`, the whole of stage 50 (same skips and excludes), from that version's
#     ansible-test; the versions one after another (their ansible-test venv caches overlap, so two at
#     once race), in the background while the pytest runs below use the cores;
#   - the unit tests and all the integration tests (tests/integration: every module through real
#     ansible-playbook, check/real/check/real, byte-identical files after refusals, no secret at -vvvv,
#     and the in-process action plugin with the ansible-core internals it uses - _no_log_values and the
#     connection's shell tmpdir - in tests/integration/test_inprocess.py), in parallel (pytest-xdist).
#     test_molecule_windows_skip.py is left out: it drives molecule, a development tool installed
#     with 2.19 only.
# On ansible-core < 2.19 the integration tests print through tests/integration/callback_plugins/
# rtvs_unwrapped.py (conftest.py), which shows failure messages and warnings unfolded as 2.19 does.
# One cached venv per version, outside the repository, keyed by the version and the pins it installs
# from constraints.txt. All three run on Python 3.11 (2.16/2.17: 3.10-3.12; 2.18: 3.11-3.13);
# ansible-core 2.20 and later need Python 3.12+, which this controller (Debian 12) does not have.
#   RTVS_ANSIBLE_MATRIX="2.17.14"       picks versions
#   RTVS_MATRIX_PARTS="sanity pytest"   picks parts (default both)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
versions=${RTVS_ANSIBLE_MATRIX:-2.16.19 2.17.14 2.18.19}
parts=${RTVS_MATRIX_PARTS:-sanity pytest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the pins of what the matrix venvs install (so a new dev tool in constraints.txt does not rebuild them)
grep -E '^(cryptography|pywinrm|pytest|pytest-xdist|tree-sitter|tree-sitter-powershell)==' constraints.txt > "$work/constraints.txt"
exec 9>"$RTVS_CACHE/.bootstrap.lock"

venv_for() {  # venv_for <version> -> path of its venv, created once
  local version=$1 key venv got
  key=$( { echo "$version"; cat "$work/constraints.txt"; } | sha256sum | cut -c1-16)
  venv="$RTVS_CACHE/venv-core-$version-$key"
  if [ ! -f "$venv/.complete" ]; then
    flock 9
    if [ ! -f "$venv/.complete" ]; then
      echo "creating $venv" >&2
      rm -rf "$venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$version" cryptography pywinrm \
        pytest pytest-xdist tree-sitter tree-sitter-powershell -c "$work/constraints.txt" 2>&1 | { grep -v "^WARNING: Location" || true; } >&2
      touch "$venv/.complete"
    fi
    flock -u 9
  fi
  got=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
  [ "$got" = "$version" ] || { echo "venv $venv has ansible-core $got, not $version" >&2; exit 1; }
  echo "$venv"
}

declare -A venvs
for version in $versions; do venvs[$version]=$(venv_for "$version"); done
failed=()

sanity_all() {  # each version's ansible-test sanity, one after another (they share ansible-test's venv cache)
  local version s
  for version in $versions; do
    s=$(date +%s)
    if PATH="${venvs[$version]}/bin:$PATH" VIRTUAL_ENV="${venvs[$version]}" bash scripts/test.d/50-sanity.sh \
        > "$work/sanity-$version.log" 2>&1; then
      echo "passed ($(( $(date +%s) - s ))s)" > "$work/sanity-$version.rc"
    else
      echo "FAILED ($(( $(date +%s) - s ))s)" > "$work/sanity-$version.rc"
    fi
  done
}

t0=$(date +%s)
# sanity (mostly one process at a time) runs in the background while the pytest runs fill the cores
sanity_pid=
if [[ " $parts " == *" sanity "* ]]; then
  sanity_all &
  sanity_pid=$!
fi

if [[ " $parts " == *" pytest "* ]]; then
  for version in $versions; do
    venv=${venvs[$version]}
    # units and integration in two runs: both folders have test files of the same name (test_broker_config.py)
    for kind in unit integration; do
      s=$(date +%s)
      if PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv" "$venv/bin/python" -m pytest -q -p no:cacheprovider \
          -n "${RTVS_TEST_WORKERS:-auto}" \
          ${RTVS_JUNIT_DIR:+--junitxml="$RTVS_JUNIT_DIR/matrix-$version-$kind.xml"} \
          --ignore tests/integration/test_molecule_windows_skip.py \
          "tests/$kind" > "$work/pytest-$version-$kind.log" 2>&1; then
        echo "ansible-core $version: $kind $(tail -1 "$work/pytest-$version-$kind.log") ($(( $(date +%s) - s ))s)"
      else
        cat "$work/pytest-$version-$kind.log"
        echo "ansible-core $version: $kind FAILED ($(( $(date +%s) - s ))s)"
        failed+=("$version $kind")
      fi
    done
  done
fi

if [ -n "$sanity_pid" ]; then
  wait "$sanity_pid" || true
  for version in $versions; do
    result=$(cat "$work/sanity-$version.rc" 2>/dev/null || echo "FAILED (did not run)")
    case "$result" in passed*) ;; *) grep -v "^WARNING: Location\|^  Downloading\|^Collecting\|━" "$work/sanity-$version.log"; failed+=("$version sanity");; esac
    echo "ansible-core $version: ansible-test sanity $result"
  done
fi
echo "matrix ${versions// /, }: $(( $(date +%s) - t0 ))s"
[ "${#failed[@]}" -eq 0 ] || { echo "failed on ansible-core: ${failed[*]}"; exit 1; }
