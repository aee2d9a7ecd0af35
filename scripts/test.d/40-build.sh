#!/usr/bin/env bash
# The collection builds, the tarball installs (offline; dependencies from the PyPI `ansible` wheel),
# and ansible-doc renders every module, filter and role from the *installed* copy.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$ROOT"
ansible-galaxy collection build --force --output-path "$work/dist" . >/dev/null
tarball=$(ls "$work"/dist/rtvs-remote-*.tar.gz)
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
deps=${ANSIBLE_COLLECTIONS_PATH#*:}   # the extracted collections, without this checkout
ANSIBLE_COLLECTIONS_PATH="$work/installed:$deps" \
  ansible-galaxy collection install --offline -p "$work/installed" "$tarball" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$work/installed:$deps"
test -f "$work/installed/ansible_collections/rtvs/remote/MANIFEST.json"
for f in plugins/modules/*.py; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .py)
  [ "$name" = __init__ ] && continue
  ansible-doc "rtvs.remote.$name" > "$work/doc.txt"
  grep -q "OPTIONS" "$work/doc.txt" || { echo "ansible-doc rtvs.remote.$name rendered no OPTIONS"; exit 1; }
  echo "ansible-doc ok: rtvs.remote.$name"
done
for f in plugins/filter/*.yml; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .yml)
  ansible-doc -t filter "rtvs.remote.$name" >/dev/null
  echo "ansible-doc ok: filter rtvs.remote.$name"
done
for role in roles/*/; do
  [ -f "$role/meta/argument_specs.yml" ] || { echo "role $role has no meta/argument_specs.yml"; exit 1; }
  ansible-doc -t role "rtvs.remote.$(basename "$role")" >/dev/null
  echo "ansible-doc ok: role rtvs.remote.$(basename "$role")"
done
