#!/usr/bin/env bash
# What a user of the tarball gets, with nothing of this checkout around it:
#  1. the collection builds and the tarball holds only what users need (no development files);
#  2. it installs (offline) next to ONLY the collections galaxy.yml declares, into a clean venv with
#     only ansible-core and the EE requirements (meta/ee-requirements.txt), HOME elsewhere, an empty
#     ansible.cfg; the controller-side modules run there (the EE requirements are complete);
#  3. there ansible-doc renders every module, filter and role from the installed copy, and the site
#     and doctor playbooks pass --syntax-check (every module and role name resolves);
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$ROOT"
fail() { echo "FAIL: $*"; exit 1; }

# --- 1. build, and what the tarball holds
ansible-galaxy collection build --force --output-path "$work/dist" . >/dev/null
tarball=$(ls "$work"/dist/rtvs-remote-*.tar.gz)
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
tar tzf "$tarball" | sed 's#^\./##; s#/$##' | grep . > "$work/contents"
allowed_top='^(MANIFEST\.json|FILES\.json|README\.md|LICENSE|CHANGELOG\.md|requirements\.txt|requirements\.yml|bindep\.txt|changelogs|docs|inventories|meta|playbooks|plugins|roles)(/|$)'
if grep -Ev "$allowed_top" "$work/contents" > "$work/unexpected"; then
  fail "the tarball holds files users do not need (add them to build_ignore in galaxy.yml):
$(cat "$work/unexpected")"
fi
for dev in Makefile ansible.cfg requirements-dev.txt constraints.txt collections.txt scripts molecule tests bench .ci; do
  if grep -Eq "^$dev(/|$)" "$work/contents"; then fail "development file $dev in the tarball"; fi
done
grep -Eq '(^|/)(__pycache__|\.pytest_cache)(/|$)|\.pyc$' "$work/contents" && fail "build artefacts in the tarball"
for need in LICENSE README.md requirements.txt meta/runtime.yml plugins/modules/pfx.py roles/linux_broker/meta/argument_specs.yml inventories/example/group_vars/all/vault.yml \
            playbooks/site.yml playbooks/doctor.yml; do
  grep -qx "$need" "$work/contents" || fail "$need missing from the tarball"
done
echo "tarball: $(wc -l < "$work/contents") entries, no development files"

# --- 2. a clean venv with what an execution environment gets: ansible-core (the version CI pins) and
# the collection's EE Python requirements (meta/ee-requirements.txt, the same packages as the runtime
# requirements.txt; a unit test keeps them equal), cached and keyed by both; only the declared collections
core_pin=$(grep '^ansible-core==' constraints.txt)
grep -E '^(cryptography|pywinrm)==' constraints.txt > "$work/constraints.txt"
rt_key=$( { echo "$core_pin"; cat meta/ee-requirements.txt "$work/constraints.txt"; } | sha256sum | cut -c1-16)
RT_VENV="$RTVS_CACHE/venv-ee-$rt_key"
if [ ! -f "$RT_VENV/.complete" ]; then
  echo "creating clean venv $RT_VENV ($core_pin + meta/ee-requirements.txt)"
  rm -rf "$RT_VENV"
  python3 -m venv "$RT_VENV"
  "$RT_VENV/bin/pip" install -q --disable-pip-version-check "$core_pin" -r meta/ee-requirements.txt -c "$work/constraints.txt" 2>&1 | { grep -v "^WARNING: Location" || true; }
  touch "$RT_VENV/.complete"
fi
extracted=${ANSIBLE_COLLECTIONS_PATH#*:}   # the collections cache, without this checkout
mkdir -p "$work/deps/ansible_collections"
for dep in $("$RT_VENV/bin/python" -c 'import sys, yaml; print(" ".join(yaml.safe_load(open(sys.argv[1]))["dependencies"]))' galaxy.yml); do
  ns=${dep%%.*} name=${dep#*.}
  [ -d "$extracted/ansible_collections/$ns/$name" ] || fail "declared dependency $dep is not in $extracted (add it to collections.txt)"
  mkdir -p "$work/deps/ansible_collections/$ns"
  ln -s "$extracted/ansible_collections/$ns/$name" "$work/deps/ansible_collections/$ns/$name"
done
echo "declared collections: $(cd "$work/deps/ansible_collections" && echo */* | tr ' ' ',')"
: > "$work/ansible.cfg"
mkdir -p "$work/home"
clean_env=(env -i PATH="$RT_VENV/bin:/usr/bin:/bin" HOME="$work/home" LANG=C.UTF-8
  ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$work/installed:$work/deps"
  ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false ANSIBLE_LOCAL_TEMP="$work/tmp")
"${clean_env[@]}" ansible-galaxy collection install --offline -p "$work/installed" "$tarball" >/dev/null
test -f "$work/installed/ansible_collections/rtvs/remote/MANIFEST.json" || fail "tarball did not install"
"${clean_env[@]}" ansible-galaxy collection list > "$work/list"
grep -Eq '^(azure\.azcollection|community\.crypto|ansible\.posix) ' "$work/list" && fail "an undeclared collection is visible: $(cat "$work/list")"

# --- 3. ansible-doc and --syntax-check from the installed copy, outside this checkout
inst="$work/installed/ansible_collections/rtvs/remote"
cd "$work"
for f in "$inst"/plugins/modules/*.py; do
  name=$(basename "$f" .py)
  [ "$name" = __init__ ] && continue
  "${clean_env[@]}" ansible-doc "rtvs.remote.$name" > "$work/doc.txt" || fail "ansible-doc rtvs.remote.$name"
  grep -q "OPTIONS" "$work/doc.txt" || fail "ansible-doc rtvs.remote.$name rendered no OPTIONS"
  echo "ansible-doc ok: rtvs.remote.$name"
done
for f in "$inst"/plugins/filter/*.yml; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .yml)
  "${clean_env[@]}" ansible-doc -t filter "rtvs.remote.$name" >/dev/null || fail "ansible-doc -t filter rtvs.remote.$name"
  echo "ansible-doc ok: filter rtvs.remote.$name"
done
for role in "$inst"/roles/*/; do
  [ -f "$role/meta/argument_specs.yml" ] || fail "role $role has no meta/argument_specs.yml"
  "${clean_env[@]}" ansible-doc -t role "rtvs.remote.$(basename "$role")" >/dev/null || fail "ansible-doc -t role $(basename "$role")"
  echo "ansible-doc ok: role rtvs.remote.$(basename "$role")"
done
for pb in site doctor linux windows; do
  "${clean_env[@]}" ansible-playbook --syntax-check -i localhost, "rtvs.remote.$pb" > "$work/syntax.txt" 2>&1 \
    || fail "ansible-playbook --syntax-check rtvs.remote.$pb with only the declared collections:
$(cat "$work/syntax.txt")"
  echo "syntax-check ok: rtvs.remote.$pb (declared collections only)"
done
# The check can fail: a playbook calling an undeclared collection is refused in this environment.
printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: Undeclared\n      community.crypto.x509_certificate_info: {path: /x}\n' > "$work/undeclared.yml"
if "${clean_env[@]}" ansible-playbook --syntax-check -i localhost, "$work/undeclared.yml" >/dev/null 2>&1; then
  fail "a playbook using an undeclared collection passed --syntax-check: the environment is not clean"
fi
# The EE requirements are complete: the controller-side modules make a key, certificate and PFX, and
# the WinRM connection plugin's library imports, in that environment.
cat > "$work/ee_modules.yml" <<'YML'
- name: Controller-side modules in the clean environment
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Key and certificate
      rtvs.remote.broker_certificate:
        path: "{{ out }}/broker.crt"
        privatekey_path: "{{ out }}/broker.key"
        fqdn: ee.example.test
        source: selfsigned
    - name: PFX
      rtvs.remote.pfx:
        path: "{{ out }}/broker.pfx"
        certificate_path: "{{ out }}/broker.crt"
        privatekey_path: "{{ out }}/broker.key"
        password: ee-check-only
YML
mkdir -p "$work/ee_out"
"${clean_env[@]}" ansible-playbook -i localhost, -e "out=$work/ee_out" -e "ansible_python_interpreter=$RT_VENV/bin/python" \
  "$work/ee_modules.yml" > "$work/ee_run.txt" 2>&1 || fail "modules failed in the clean EE-requirements venv:
$(cat "$work/ee_run.txt")"
test -s "$work/ee_out/broker.pfx" || fail "no PFX made in the clean venv"
"$RT_VENV/bin/python" -c 'import winrm, cryptography' || fail "pywinrm/cryptography missing from meta/ee-requirements.txt"
echo "EE requirements complete: modules ran, winrm imports (venv $(basename "$RT_VENV"))"
# ansible-builder (own cached venv, as scripts/ee-build.sh makes it) reads meta/execution-environment.yml
# from the installed collection, and the example EE definition in docs/ee gives a valid build context.
tools="$RTVS_CACHE/ee-tools-3.2.0-26.10.0"
if [ ! -f "$tools/.complete" ]; then
  rm -rf "$tools" && python3 -m venv "$tools"
  "$tools/bin/pip" install -q ansible-builder==3.2.0 ansible-navigator==26.10.0 2>&1 | { grep -v "^WARNING: Location" || true; }
  touch "$tools/.complete"
fi
"$tools/bin/ansible-builder" introspect "$work/installed" > "$work/introspect.txt"
for want in "cryptography>=38.0  # from collection rtvs.remote" "pywinrm>=0.4.3  # from collection rtvs.remote" \
            "openssh-client [platform:dpkg]  # from collection rtvs.remote"; do
  grep -qF "$want" "$work/introspect.txt" || fail "ansible-builder introspect lacks '$want':
$(cat "$work/introspect.txt")"
done
mkdir -p "$work/ee" && cp "$ROOT"/docs/ee/* "$work/ee/" && cp "$tarball" "$work/ee/"
(cd "$work/ee" && "$tools/bin/ansible-builder" create -c context >/dev/null) || fail "ansible-builder create on docs/ee failed"
test -f "$work/ee/context/_build/collections/$(basename "$tarball")" || fail "the example EE context lacks the collection tarball"
grep -q "ansible-galaxy collection install" "$work/ee/context/Containerfile" || fail "the example EE context installs no collections"
echo "EE: ansible-builder introspect lists the collection's requirements; docs/ee builds a valid context"
cd "$ROOT"


# --- 4. the README's fleet commands, verbatim, against inventories/example (there is no real fleet:
# each playbook line also gets --list-hosts, and --syntax-check/--list-tags once; inventories/prod
# becomes inventories/example). --ask-vault-pass reads the example vault password from stdin: setsid
# leaves no controlling terminal, so the prompt falls back to stdin as it does in CI.
vault_pw="$ROOT/tests/fixtures/example-vault-password"
sed -n '/<!-- fleet-commands/,/<!-- \/fleet-commands -->/p' README.md | grep -E '^(make|ansible)' > "$work/fleet"
[ "$(wc -l < "$work/fleet")" -ge 5 ] || fail "README fleet-commands block not found or too short"
grep -q 'make site INVENTORY=inventories/prod SITE_ARGS=' "$work/fleet" || fail "README has no make site INVENTORY=... SITE_ARGS=... line"
while IFS= read -r line; do
  cmd=${line//inventories\/prod/inventories\/example}
  case "$cmd" in
    make\ site*)
      cmd=${cmd/SITE_ARGS=\"/SITE_ARGS=\"--list-hosts }
      runner=() ;;
    ansible-playbook*)
      cmd="$cmd --list-hosts"
      runner=("${clean_env[@]}") ;;
    *) runner=("${clean_env[@]}") ;;
  esac
  echo "README: $line"
  if ! (cd "$ROOT" && setsid "${runner[@]}" bash -c "$cmd" < "$vault_pw" > "$work/out" 2>&1); then
    fail "README command failed: $cmd
$(cat "$work/out")"
  fi
  grep -q '\[WARNING\]' "$work/out" && fail "README command warns: $cmd
$(cat "$work/out")"
  case "$cmd" in
    ansible-inventory*--graph*)
      grep -q 'rtvs_linux' "$work/out" && grep -q 'rtvs_windows' "$work/out" || fail "graph lacks the groups: $(cat "$work/out")"
      grep -q '@vault' "$work/out" && fail "bogus vault group in the graph: $(cat "$work/out")" ;;
    *--list-hosts*)
      grep -Eq 'rserver1\.example\.com|rwin1\.example\.com' "$work/out" || fail "no hosts listed: $cmd
$(cat "$work/out")" ;;
  esac
done < "$work/fleet"
# The folder inventory decrypts group_vars/all/vault.yml with the prompted password ...
(cd "$ROOT" && setsid "${clean_env[@]}" ansible-inventory -i inventories/example --host rserver1.example.com --ask-vault-pass < "$vault_pw") > "$work/host.json" 2>/dev/null
grep -q '"vault_rtvs_pfx_password": "REPLACE-ME-with-a-long-random-password"' "$work/host.json" || fail "vault.yml not decrypted: $(cat "$work/host.json")"
# ... and a wrong password is refused (the check above can fail).
if (cd "$ROOT" && echo wrong | setsid "${clean_env[@]}" ansible-inventory -i inventories/example --host rserver1.example.com --ask-vault-pass) >/dev/null 2>&1; then
  fail "a wrong vault password was accepted"
fi
for pb in site doctor; do
  (cd "$ROOT" && "${clean_env[@]}" ansible-playbook "rtvs.remote.$pb" -i inventories/example --syntax-check) >/dev/null \
    || fail "syntax-check of rtvs.remote.$pb with inventories/example"
done
(cd "$ROOT" && "${clean_env[@]}" ansible-playbook rtvs.remote.site -i inventories/example --list-tags) > "$work/tags"
for tag in rtvs_preflight rtvs_certificate rtvs_config rtvs_firewall rtvs_users rtvs_health rtvs_azure; do
  grep -q "$tag" "$work/tags" || fail "README documents tag $tag, the site playbook lacks it"
done
echo "README fleet commands ok against inventories/example ($(wc -l < "$work/fleet") commands)"
