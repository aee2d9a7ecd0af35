#!/usr/bin/env bash
# Build the Debian 12 test host image without any container registry:
#   mmdebstrap (from Debian's mirror) | podman import  ->  localhost/rtvs-testhost:<key>
# <key> is a hash of this file (the whole recipe lives here), so a changed recipe gives a new
# tag and an unchanged one is never rebuilt: the cache is podman's own storage, outside the repo.
#
# The image boots systemd as PID 1 (CMD /sbin/init, STOPSIGNAL SIGRTMIN+3) and runs sshd; user
# `ansible` has NOPASSWD sudo. No SSH key is baked in: the public key is mounted at container
# start (see scripts/testhost.sh and molecule/shared/create.yml). Host keys are generated at
# first boot, so no two containers share them.
#
# Usage: scripts/build-image.sh            build if needed; print the tag on stdout
#        scripts/build-image.sh --tag      print the tag only (no build)
#        scripts/build-image.sh --force    rebuild even if the tag exists
# Env:   RTVS_DEBIAN_MIRROR, RTVS_DEBIAN_SECURITY_MIRROR: the Debian mirror and security archive.
#        Unset, they are read from this machine's own apt sources (scripts/apt_mirror.py), so a
#        local mirror or proxy is used as configured; the repository names no mirror host.
set -euo pipefail
SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
: "${CONTAINERS_CONF:=$ROOT/.work/containers.conf}"
export CONTAINERS_CONF

MIRROR=${RTVS_DEBIAN_MIRROR:-}
SECURITY=${RTVS_DEBIAN_SECURITY_MIRROR:-}
if [ -z "$MIRROR" ]; then
  found=$(python3 "$ROOT/scripts/apt_mirror.py") || exit 1
  MIRROR=$(sed -n 's/^MIRROR=//p' <<<"$found")
  [ -n "$SECURITY" ] || SECURITY=$(sed -n 's/^SECURITY=//p' <<<"$found")
fi
# The key covers everything the image is made of: this recipe and the mirrors in its sources.
KEY=$(printf '%s\n%s\n%s\n' "$(sha256sum < "$SELF")" "$MIRROR" "$SECURITY" | sha256sum | cut -c1-12)
TAG="localhost/rtvs-testhost:$KEY"

case "${1:-}" in
  --tag) echo "$TAG"; exit 0 ;;
  --force) podman rmi -f "$TAG" >/dev/null 2>&1 || true ;;
  "") ;;
  *) die "unknown argument '$1' (use --tag or --force)" ;;
esac

if podman image exists "$TAG"; then
  echo "$TAG"
  exit 0
fi

command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: run scripts/bootstrap.sh testhost (or apt-get install mmdebstrap)"

PACKAGES=(
  # what makes it a real server: init, bus, remote login, privilege escalation
  systemd systemd-sysv dbus openssh-server sudo
  # what Ansible needs (python3-apt for ansible.builtin.apt)
  python3 python3-apt
  # what every role run or test touches; installing them later would cost time per host
  iproute2 ca-certificates locales openssl acl procps
  # a dependency of the real rtvs-daemon package (its postinst makes the snakeoil PFX with it)
  ssl-cert
  # the broker test double (molecule/shared/broker_double) is python3 + cryptography
  python3-cryptography
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs inside mmdebstrap with the root filesystem as $1, after all packages are installed.
cat > "$work/customize.sh" <<'HOOK'
set -eu
R="$1"
# apt sources: main, updates and security, like a freshly installed server
{
  echo "deb $RTVS_MIRROR bookworm main"
  echo "deb $RTVS_MIRROR bookworm-updates main"
  [ -z "$RTVS_SECURITY" ] || echo "deb $RTVS_SECURITY bookworm-security main"
} > "$R/etc/apt/sources.list"
# user `ansible`, NOPASSWD sudo; its authorized_keys is mounted at container start
chroot "$R" useradd --create-home --shell /bin/bash ansible
install -d -m 0700 -o 1000 -g 1000 "$R/home/ansible/.ssh"
[ "$(chroot "$R" id -u ansible)" = 1000 ] || { echo "ansible is not uid 1000" >&2; exit 1; }
echo 'ansible ALL=(ALL) NOPASSWD: ALL' > "$R/etc/sudoers.d/ansible"
chmod 0440 "$R/etc/sudoers.d/ansible"
# a unique identity per container: systemd fills machine-id, podman sets the hostname
: > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id" "$R/etc/hostname"
# no shared snakeoil key: each host makes its own (make-ssl-cert), as a fresh install would
rm -f "$R/etc/ssl/certs/ssl-cert-snakeoil.pem" "$R/etc/ssl/private/ssl-cert-snakeoil.key"
# SSH host keys are made at first boot, before sshd starts
rm -f "$R"/etc/ssh/ssh_host_*
cat > "$R/etc/systemd/system/ssh-hostkeys.service" <<UNIT
[Unit]
Description=Generate SSH host keys at first boot (test host)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=ssh.service
UNIT
chroot "$R" systemctl enable ssh-hostkeys.service ssh.service >/dev/null 2>&1
# no hardware, no consoles in a container: these units only fail or wait
chroot "$R" systemctl mask systemd-udevd.service systemd-udevd-control.socket \
  systemd-udevd-kernel.socket systemd-udev-trigger.service systemd-remount-fs.service \
  getty@tty1.service console-getty.service serial-getty@.service getty.target \
  systemd-firstboot.service sys-kernel-config.mount sys-kernel-debug.mount \
  sys-kernel-tracing.mount dev-hugepages.mount systemd-modules-load.service >/dev/null 2>&1
# a UTF-8 locale, as a server would have
sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$R/etc/locale.gen"
chroot "$R" locale-gen >/dev/null
echo 'LANG=en_US.UTF-8' > "$R/etc/default/locale"
HOOK

sources=("deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main")
if [ -n "$SECURITY" ]; then
  sources+=("deb $SECURITY bookworm-security main")
else
  log "WARNING: no Debian security archive in this machine's apt sources: the image has no security updates (set RTVS_DEBIAN_SECURITY_MIRROR)"
fi
log "building $TAG with mmdebstrap from $MIRROR (about a minute)"
t0=$(date +%s)
include=$(printf '%s,' "${PACKAGES[@]}" | sed 's/,$//')
RTVS_MIRROR=$MIRROR RTVS_SECURITY=$SECURITY \
mmdebstrap --quiet --variant=minbase --include="$include" \
  --skip=cleanup/apt/lists \
  --customize-hook="sh '$work/customize.sh' \"\$1\"" \
  bookworm - "${sources[@]}" \
  | podman import --quiet \
      --change 'CMD=["/sbin/init"]' \
      --change 'STOPSIGNAL=SIGRTMIN+3' \
      --change 'ENV=container=podman' \
      --change "LABEL=rtvs.recipe=$KEY" \
      - "$TAG" >/dev/null
log "built $TAG in $(( $(date +%s) - t0 ))s"
# drop images of older recipes (those still used by a container stay)
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/rtvs-testhost:' | grep -vx "$TAG"); do
  podman rmi "$old" >/dev/null 2>&1 && log "removed old image $old" || true
done
echo "$TAG"
