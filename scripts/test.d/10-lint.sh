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
