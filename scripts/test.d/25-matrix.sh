#!/usr/bin/env bash
# ansible-core matrix: meta/runtime.yml claims ansible-core >= 2.16, the other stages run 2.19
# (constraints.txt). Here the unit tests (module_utils, plugins, filters, the in-process action
# plugin with the ansible-core internals it uses) and one real in-process playbook run (all six
# controller-side modules through ansible-playbook at -vvvv --diff: the private no_log and
# connection-tmpdir APIs, no secret in the output) run against the newest 2.16, 2.17 and 2.18.
# One cached venv per version (keyed by it and the pins it installs from constraints.txt).
# All three run on Python 3.11
# (2.16/2.17: 3.10-3.12; 2.18: 3.11-3.13). RTVS_ANSIBLE_MATRIX="2.17.14" picks versions.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
versions=${RTVS_ANSIBLE_MATRIX:-2.16.19 2.17.14 2.18.19}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the pins of what the matrix venvs install (so a new dev tool in constraints.txt does not rebuild them)
grep -E '^(cryptography|pywinrm|pytest|pytest-xdist|tree-sitter|tree-sitter-powershell)==' constraints.txt > "$work/constraints.txt"
exec 9>"$RTVS_CACHE/.bootstrap.lock"
failed=()
for version in $versions; do
  key=$( { echo "$version"; cat "$work/constraints.txt"; } | sha256sum | cut -c1-16)
  venv="$RTVS_CACHE/venv-core-$version-$key"
  if [ ! -f "$venv/.complete" ]; then
    flock 9
    if [ ! -f "$venv/.complete" ]; then
      echo "creating $venv"
      rm -rf "$venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$version" cryptography pywinrm \
        pytest pytest-xdist tree-sitter tree-sitter-powershell -c "$work/constraints.txt" 2>&1 | { grep -v "^WARNING: Location" || true; }
      touch "$venv/.complete"
    fi
    flock -u 9
  fi
  got=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
  [ "$got" = "$version" ] || { echo "venv $venv has ansible-core $got, not $version"; exit 1; }
  t0=$(date +%s)
  if PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv" "$venv/bin/python" -m pytest -q -p no:cacheprovider \
      -n "${RTVS_TEST_WORKERS:-auto}" \
      ${RTVS_JUNIT_DIR:+--junitxml="$RTVS_JUNIT_DIR/matrix-$version.xml"} \
      tests/unit "tests/integration/test_inprocess.py::test_secrets_never_shown_in_process_even_at_vvvv_with_diff" \
      > "$work/out" 2>&1; then
    echo "ansible-core $version: $(tail -1 "$work/out") ($(( $(date +%s) - t0 ))s)"
  else
    cat "$work/out"
    echo "ansible-core $version: FAILED"
    failed+=("$version")
  fi
done
[ "${#failed[@]}" -eq 0 ] || { echo "failed on ansible-core ${failed[*]}"; exit 1; }
