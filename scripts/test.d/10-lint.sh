#!/usr/bin/env bash
# Static checks: yamllint, ansible-lint (production profile), playbook syntax.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
echo "-- yamllint"
yamllint -s .
echo "-- ansible-lint --profile production"
ansible-lint --profile production --offline -q
echo "-- ansible-playbook --syntax-check"
for pb in playbooks/*.yml; do
  [ -e "$pb" ] || continue
  ansible-playbook --syntax-check -i inventories/example/hosts.yml "$pb" >/dev/null
  echo "syntax ok: $pb"
done
echo "-- antsibull-changelog: fragments lint, and CHANGELOG.md is what 'generate' makes from changelogs/"
antsibull-changelog lint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r changelogs CHANGELOG.md galaxy.yml "$work/"
(cd "$work" && antsibull-changelog generate)
if ! diff -u CHANGELOG.md "$work/CHANGELOG.md"; then
  echo "CHANGELOG.md is edited by hand: change changelogs/changelog.yaml or add a fragment, then run antsibull-changelog generate"
  exit 1
fi
