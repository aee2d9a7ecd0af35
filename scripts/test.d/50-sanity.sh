#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection laid out as ansible_collections/rtvs/remote.
# Runs offline: pip's bootstrap script comes from scripts/ansible_test_get_pip.py.
# Skipped: pslint (needs pwsh, not packaged for Debian; PowerShell is parsed in unit tests instead),
# shellcheck (not installed by ansible-test), changelog (antsibull-changelog not installed).
# The .ps1 modules are excluded because validate-modules needs pwsh to read their $spec; their docs are
# compared with the $spec by tests/unit/test_win_module_docs.py instead.
# bench/, molecule/ and scripts/ are developer tooling, not collection content: ansible-lint,
# yamllint and their own tests cover them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cache=~/.ansible/test/cache
mkdir -p "$cache"
# pip versions ansible-test 2.16-2.19 bootstrap (23.1.2: 2.16 and 2.17; 24.2: 2.18 and 2.19), and later ones
for v in 23.1.2 24.2 24.3 25.0 25.1; do cp "$ROOT/scripts/ansible_test_get_pip.py" "$cache/get_pip_${v//./_}.py"; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/rtvs/remote"
mkdir -p "$dest"
cd "$ROOT"
git ls-files -co --exclude-standard -z | grep -zv '^\.work/' | xargs -0 tar cf - | tar xf - -C "$dest"
cd "$dest"
ansible-test sanity --venv --python 3.11 --color no \
  --skip-test pslint --skip-test shellcheck --skip-test changelog \
  --exclude bench/ --exclude molecule/ --exclude scripts/ \
  $(for ps in plugins/modules/*.ps1; do [ -e "$ps" ] && printf -- '--exclude %s ' "$ps"; done)
