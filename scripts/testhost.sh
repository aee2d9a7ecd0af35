#!/usr/bin/env bash
# Local test hosts for the main job (make site without INVENTORY): Debian 12 containers with
# systemd as PID 1 and sshd, reached over SSH like real servers (see docs/testhosts.md).
#
#   scripts/testhost.sh up NAME...     start hosts (names get the `rtvs-` prefix if missing);
#                                      an existing host is kept (use down first for a fresh one)
#   scripts/testhost.sh down [NAME...] remove hosts (no name: all of them) and, when none is
#                                      left, their network
#   scripts/testhost.sh inventory      print the YAML inventory of the running hosts and write it
#                                      to $RTVS_CACHE/testhost/inventory.yml
#
# Hosts are in the inventory group `rtvs_linux`, with ansible_host, ansible_user=ansible, the
# key $RTVS_CACHE/ssh/id_ed25519 and ansible_become=true. Env: RTVS_TESTHOST_PRIVILEGED=1 runs
# them with --privileged (what ufw/nftables and sysctl need).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
: "${CONTAINERS_CONF:=$ROOT/.work/containers.conf}"
export CONTAINERS_CONF

NETWORK=rtvs-hosts
LABEL=rtvs.owner=testhost
KEY="$RTVS_CACHE/ssh/id_ed25519"
INVENTORY="$RTVS_CACHE/testhost/inventory.yml"
SSH_OPTS=(-o BatchMode=yes -o ConnectTimeout=2 -o LogLevel=ERROR -o IdentitiesOnly=yes
          -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null)

prefixed() { case "$1" in rtvs-*) echo "$1" ;; *) echo "rtvs-$1" ;; esac; }

address() {
  podman container inspect --format "{{(index .NetworkSettings.Networks \"$NETWORK\").IPAddress}}" "$1"
}

ensure_key() {
  if [ ! -f "$KEY" ]; then
    install -d -m 0700 "$(dirname "$KEY")"
    ssh-keygen -q -t ed25519 -N '' -C rtvs-testhost -f "$KEY"
  fi
}

wait_ready() {  # SSH login, sudo, and systemd done booting
  local name=$1 addr state i
  addr=$(address "$name")
  for i in $(seq 120); do
    state=$(ssh "${SSH_OPTS[@]}" -i "$KEY" "ansible@$addr" sudo -n timeout 90 systemctl is-system-running --wait 2>/dev/null) && break
    [ -n "$state" ] && break  # degraded: reachable, but a unit failed
    sleep 0.5
  done
  case "$state" in
    running) log "$name ready at $addr (${i} tries)" ;;
    degraded) log "WARNING: $name at $addr is up but degraded:"; ssh "${SSH_OPTS[@]}" -i "$KEY" "ansible@$addr" systemctl --failed --no-legend >&2 ;;
    *) die "$name did not become reachable over SSH at $addr (podman logs $name)" ;;
  esac
}

cmd_up() {
  [ $# -gt 0 ] || die "usage: $0 up NAME..."
  ensure_key
  local image name
  image=$(bash "$ROOT/scripts/build-image.sh")
  podman network exists "$NETWORK" || podman network create "$NETWORK" >/dev/null
  for arg in "$@"; do
    name=$(prefixed "$arg")
    if [ "$(podman container inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ]; then
      log "$name is already running (kept)"
    else
      podman rm -f "$name" >/dev/null 2>&1 || true
      local extra=()
      [ "${RTVS_TESTHOST_PRIVILEGED:-0}" = 1 ] && extra+=(--privileged)
      podman run --detach --name "$name" --hostname "$name" --network "$NETWORK" \
        --systemd=always --label "$LABEL" "${extra[@]}" \
        --volume "$KEY.pub:/home/ansible/.ssh/authorized_keys:ro" "$image" >/dev/null
    fi
  done
  for arg in "$@"; do wait_ready "$(prefixed "$arg")"; done
  cmd_inventory >/dev/null
  log "inventory: $INVENTORY"
}

cmd_down() {
  local names=()
  if [ $# -eq 0 ]; then
    mapfile -t names < <(podman ps --all --filter "label=$LABEL" --format '{{.Names}}')
  else
    for arg in "$@"; do names+=("$(prefixed "$arg")"); done
  fi
  [ "${#names[@]}" -eq 0 ] || podman rm --force --time 3 --ignore "${names[@]}" >/dev/null
  if [ -z "$(podman ps --all --filter "label=$LABEL" --format '{{.Names}}')" ] && podman network exists "$NETWORK"; then
    podman network rm "$NETWORK" >/dev/null
  fi
  cmd_inventory >/dev/null
}

cmd_inventory() {
  local names name
  mapfile -t names < <(podman ps --filter "label=$LABEL" --format '{{.Names}}' | sort)
  mkdir -p "$(dirname "$INVENTORY")"
  {
    echo "# Local test hosts (scripts/testhost.sh); regenerated on every up/down."
    echo "all:"
    echo "  children:"
    echo "    rtvs_linux:"
    if [ "${#names[@]}" -eq 0 ]; then
      echo "      hosts: {}"
    else
      echo "      hosts:"
      for name in "${names[@]}"; do
        echo "        $name:"
        echo "          ansible_host: $(address "$name")"
        echo "          ansible_user: ansible"
        echo "          ansible_ssh_private_key_file: $KEY"
        echo "          ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes"
        echo "          ansible_become: true"
      done
    fi
  } > "$INVENTORY.tmp"
  mv "$INVENTORY.tmp" "$INVENTORY"
  cat "$INVENTORY"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  inventory) shift; cmd_inventory ;;
  *) die "usage: $0 up NAME... | down [NAME...] | inventory" ;;
esac
