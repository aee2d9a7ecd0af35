#!/usr/bin/env bash
# Set up what the collection needs on a fresh Debian/Ubuntu machine, idempotently, as root.
#
#   scripts/bootstrap.sh [controller]   what running playbooks needs (make site INVENTORY=...):
#        apt: openssh-client (SSH to the fleet), openssl (the local host's secrets), make;
#        a Python venv from requirements.txt (runtime only) pinned by constraints.txt, cached
#        outside the repo, keyed by the hash of both;
#        ansible.windows & friends extracted from the PyPI `ansible` wheel (collections.txt);
#        .work/env.sh, the environment every other script sources.
#   scripts/bootstrap.sh testhost       controller, plus local test hosts (make site without an
#        inventory): podman, runc, mmdebstrap, uidmap, and netavark + aardvark-dns, podman's
#        network backend with DNS between containers (without them Debian's podman falls back to
#        CNI, where test hosts cannot resolve each other's names), and iptables, which netavark runs to
#        set up the network (without it every `podman run --network` fails with "netavark: No such
#        file or directory"); .work/containers.conf.
#   scripts/bootstrap.sh test           testhost, plus what only the test suite uses: acl
#        (setfacl/getfacl in the key-access tests); Mono (mono-runtime, mono-mcs,
#        libmono-system-security4.0-cil) and Newtonsoft.Json (libnewtonsoft-json5.0-cil), the
#        independent .NET readers of stage 35-dotnet; chromium (the doctor's HTML page rendered
#        headless in tests/integration/test_doctor_html_chromium.py); and a venv with
#        requirements-dev.txt as well.
# A real fleet run never installs podman. Safe to rerun: installs only what dpkg lacks.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

PART=${1:-controller}
case "$PART" in
  controller) apt_packages=(openssh-client openssl make) ;;
  testhost) apt_packages=(openssh-client openssl make podman runc mmdebstrap uidmap netavark aardvark-dns iptables) ;;
  test) apt_packages=(openssh-client openssl make podman runc mmdebstrap uidmap netavark aardvark-dns iptables acl
          mono-runtime mono-mcs libmono-system-security4.0-cil libnewtonsoft-json5.0-cil chromium) ;;
  *) die "unknown part '$PART' (use controller, testhost or test)" ;;
esac

need_apt=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

mkdir -p "$RTVS_CACHE"
# one bootstrap at a time builds the shared cache (two checkouts may bootstrap at once)
exec 9>"$RTVS_CACHE/.bootstrap.lock"
flock 9
# Runtime requirements (requirements.txt) for controller and testhost; plus requirements-dev.txt for
# the tests; both pinned by constraints.txt. One venv per set, keyed by the hash of all its files.
# A part that needs only the runtime reuses a complete test venv of the same files (a superset), so
# `make site` after `make test` does not switch this checkout to a smaller venv.
venv_for() {  # venv_for <requirement files...> -> path of the venv for them
  local key
  key=$(cd "$ROOT" && cat "$@" constraints.txt | sha256sum | cut -c1-16)
  echo "$RTVS_CACHE/venv-$key"
}
DEV_VENV=$(venv_for requirements.txt requirements-dev.txt)
if [ "$PART" = test ]; then
  req_files=(requirements.txt requirements-dev.txt)
  VENV=$DEV_VENV
elif [ -f "$DEV_VENV/.complete" ]; then
  req_files=(requirements.txt requirements-dev.txt)
  VENV=$DEV_VENV
else
  req_files=(requirements.txt)
  VENV=$(venv_for requirements.txt)
fi
if [ ! -x "$VENV/bin/ansible-playbook" ] || [ ! -f "$VENV/.complete" ]; then
  log "creating venv $VENV (${req_files[*]})"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  pip_args=()
  for f in "${req_files[@]}"; do pip_args+=(-r "$ROOT/$f"); done
  "$VENV/bin/pip" install -q --disable-pip-version-check "${pip_args[@]}" -c "$ROOT/constraints.txt" 2>&1 | { grep -v "^WARNING: Location" || true; }
  touch "$VENV/.complete"
fi

col_key=$(cat "$ROOT/collections.txt" | sha256sum | cut -c1-16)
COLS="$RTVS_CACHE/collections-$col_key"
if [ ! -f "$COLS/.complete" ]; then
  log "extracting collections into $COLS"
  rm -rf "$COLS" && mkdir -p "$COLS/dl"
  wheel_spec=$(grep -v '^#' "$ROOT/collections.txt" | grep '==' | head -1)
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$COLS/dl" "$wheel_spec" 2>&1 | { grep -v "^WARNING: Location" || true; }
  grep -v '^#' "$ROOT/collections.txt" | grep -v '==' | grep . > "$COLS/wanted"
  "$VENV/bin/python" "$ROOT/scripts/extract_collections.py" "$COLS/dl"/*.whl "$COLS" "$COLS/wanted"
  rm -rf "$COLS/dl"
  touch "$COLS/.complete"
fi

# This checkout as rtvs.remote, for ansible-playbook, ansible-doc and molecule.
mkdir -p "$ROOT/.work/ac/ansible_collections/rtvs"
ln -sfn "$ROOT" "$ROOT/.work/ac/ansible_collections/rtvs/remote"

# Podman settings for this machine, in a project-local file (never /etc/containers). Written for
# every part: env.sh points CONTAINERS_CONF at it, and it costs nothing without podman.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=65536
cat > "$ROOT/.work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=8192:8192"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
[network]
network_backend = "netavark"
CONF

if [ "$PART" != controller ]; then
  backend=$(CONTAINERS_CONF="$ROOT/.work/containers.conf" podman info --format '{{.Host.NetworkBackend}}' 2>&1) \
    || die "podman does not run: $backend"
  [ "$backend" = netavark ] || die "podman uses the '$backend' network backend, not netavark: test hosts would not resolve each other's names.
  netavark and aardvark-dns are installed and .work/containers.conf asks for netavark, so this podman
  storage holds older (CNI) state. Run 'podman system reset --force' (it removes ALL podman
  containers, images and networks on this machine), then run this command again."
fi

cat > "$ROOT/.work/env.sh" <<ENV
# generated by scripts/bootstrap.sh
export RTVS_ROOT="$ROOT"
export RTVS_CACHE="$RTVS_CACHE"
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:\$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.work/ac:$COLS"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export CONTAINERS_CONF="$ROOT/.work/containers.conf"
export ANSIBLE_LOCAL_TEMP="$ROOT/.work/tmp"
ENV
log "ready: . .work/env.sh"
