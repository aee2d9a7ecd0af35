#!/usr/bin/env bash
# The main job (`make site`, after bootstrap).
#
#   INVENTORY=path make site   run playbooks/site.yml against your own inventory; more
#                              ansible-playbook arguments in SITE_ARGS, for example
#                              SITE_ARGS="--ask-vault-pass --check --diff" (ANSIBLE_ARGS is
#                              accepted as another name; giving both is refused)
#   make site                  no inventory: build the test host image, start the local Debian 12
#                              test host rtvs-site (scripts/testhost.sh: systemd, sshd, reached over
#                              SSH), install the rtvsd TEST DOUBLE on it (Microsoft's broker cannot
#                              be downloaded here; molecule/shared/broker_double), run site.yml, and
#                              print the broker URL, the certificate's SHA-256 fingerprint and the
#                              certificate file a client must trust.
# Secrets of the local host (PFX password, the demo user's password) are random, made once and
# kept in $RTVS_CACHE/site (mode 0700), never in the repository.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
[ -f .work/env.sh ] || die "no .work/env.sh: run scripts/bootstrap.sh first (make site does)"
# shellcheck disable=SC1091
. .work/env.sh

if [ -n "${ANSIBLE_ARGS:-}" ]; then
  [ -z "${SITE_ARGS:-}" ] || [ "$SITE_ARGS" = "$ANSIBLE_ARGS" ] \
    || die "both SITE_ARGS and ANSIBLE_ARGS are set and differ; give the ansible-playbook arguments in SITE_ARGS only"
  SITE_ARGS=$ANSIBLE_ARGS
fi
if [ -n "${INVENTORY:-}" ]; then
  [ -e "$INVENTORY" ] || die "INVENTORY=$INVENTORY does not exist"
  log "ansible-playbook rtvs.remote.site -i $INVENTORY ${SITE_ARGS:-}"
  # shellcheck disable=SC2086  # SITE_ARGS is a list of arguments on purpose
  exec ansible-playbook rtvs.remote.site -i "$INVENTORY" ${SITE_ARGS:-}
fi

HOST=rtvs-site
SITE="$RTVS_CACHE/site"
mkdir -p "$SITE" && chmod 0700 "$SITE"

log "Local test host $HOST (test image built when missing)"
bash scripts/testhost.sh up "$HOST"
bash scripts/testhost.sh inventory > /dev/null
TH_INVENTORY="$RTVS_CACHE/testhost/inventory.yml"
ADDRESS=$(python3 -c 'import sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
print(inv["all"]["children"]["rtvs_linux"]["hosts"][sys.argv[2]]["ansible_host"])' "$TH_INVENTORY" "$HOST")

umask 077
[ -s "$SITE/pfx_password" ] || openssl rand -base64 24 > "$SITE/pfx_password"
[ -s "$SITE/rtvs-demo.password" ] || openssl rand -base64 12 > "$SITE/rtvs-demo.password"
# hashed once: a new salt on every run would make the role update the account on every run
[ -s "$SITE/rtvs-demo.hash" ] || openssl passwd -6 -stdin < "$SITE/rtvs-demo.password" > "$SITE/rtvs-demo.hash"
HASH=$(cat "$SITE/rtvs-demo.hash")
python3 - "$SITE/vars.yml" "$ADDRESS" "$HASH" "$SITE" <<'PY'
import sys, yaml
path, address, password_hash, site = sys.argv[1:]
with open(site + "/pfx_password") as handle:
    pfx_password = handle.read().strip()
settings = {
    "rtvs_pfx_password": pfx_password,
    "rtvs_subject_alt_names": [address],          # clients may connect by IP
    "rtvs_daemon_install": False,                 # the test double is installed below
    "rtvs_linux_r_install_recommends": False,
    "rtvs_linux_controller_dir": site + "/pki",
    "rtvs_users": [{"name": "rtvs-demo", "password_hash": password_hash}],
}
with open(path, "w") as handle:
    yaml.safe_dump(settings, handle)
PY

log "Installing the rtvsd TEST DOUBLE on $HOST (not Microsoft's broker)"
ansible-playbook -i "$TH_INVENTORY" --limit "$HOST" molecule/shared/install_broker_double.yml
log "ansible-playbook rtvs.remote.site -i $TH_INVENTORY --limit $HOST"
ansible-playbook rtvs.remote.site -i "$TH_INVENTORY" --limit "$HOST" -e "@$SITE/vars.yml"

CERT="$SITE/pki/$HOST/broker.crt"
FINGERPRINT=$(openssl x509 -in "$CERT" -noout -fingerprint -sha256 | cut -d= -f2)
cat <<EOF_INFO

RTVS remote workspace ready (local test host; the broker is a TEST DOUBLE, see molecule/shared/broker_double/README.md)
  Broker URL:               https://$ADDRESS:5444   (certificate names: $HOST, $ADDRESS)
  Certificate SHA-256:      $FINGERPRINT
  Certificate to trust:     $CERT   (self-signed: testing only)
  Log in as:                rtvs-demo, password in $SITE/rtvs-demo.password
  Check from this machine:  curl --cacert $CERT -u x:x https://$ADDRESS:5444/info/about
  Diagnose (read-only):     ansible-playbook rtvs.remote.doctor -i $TH_INVENTORY --limit $HOST -e rtvs_doctor_ca_file=$CERT
  Remove the host:          bash scripts/testhost.sh down $HOST
EOF_INFO
