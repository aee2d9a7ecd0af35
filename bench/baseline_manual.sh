#!/usr/bin/env bash
# Baseline for benchmark 2: the seed's manual Ubuntu steps as a plain shell script, sent to the
# host over ONE SSH connection (what an admin with a terminal would type):
#   make-ssl-cert generate-default-snakeoil --force-overwrite
#   openssl pkcs12 -export ... (3DES/SHA-1, as the broker needs and as rtvs.remote.pfx writes)
#   set X509CertificateFile / X509CertificatePassword in /etc/rtvs/rtvsd.config.json
#   let the service account read the PFX, then systemctl restart rtvsd
# Usage: bench/baseline_manual.sh USER@HOST IDENTITY_FILE PFX_PASSWORD
# Extra ssh options may be given in BENCH_SSH_OPTS. The password goes over stdin, never argv.
set -euo pipefail
target=${1:?USER@HOST}
identity=${2:?identity file}
password=${3:?PFX password}
# shellcheck disable=SC2086
{
  printf 'export PFX_PASSWORD=%q\n' "$password"
  cat <<'REMOTE'
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pfx=/etc/rtvs/ssl-cert-snakeoil.pfx
make-ssl-cert generate-default-snakeoil --force-overwrite
openssl pkcs12 -export -out "$pfx" \
  -inkey /etc/ssl/private/ssl-cert-snakeoil.key -in /etc/ssl/certs/ssl-cert-snakeoil.pem \
  -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 -password env:PFX_PASSWORD
chown root:rtvssvc "$pfx"
chmod 0640 "$pfx"
PFX=$pfx python3 - <<'PY'
import json, os
path = "/etc/rtvs/rtvsd.config.json"
with open(path) as fh:
    config = json.load(fh)
security = config.setdefault("security", {})
security["X509CertificateFile"] = os.environ["PFX"]
security["X509CertificatePassword"] = os.environ["PFX_PASSWORD"]
with open(path, "w") as fh:
    json.dump(config, fh, indent=2)
PY
chgrp rtvssvc /etc/rtvs/rtvsd.config.json
chmod 0640 /etc/rtvs/rtvsd.config.json
systemctl restart rtvsd
REMOTE
} | ssh -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i "$identity" ${BENCH_SSH_OPTS:-} \
      "$target" 'sudo -n bash -s'
