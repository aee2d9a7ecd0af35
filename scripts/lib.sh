# shellcheck shell=bash
# Shared helpers for scripts/*.sh
if [ "$(id -u)" = 0 ]; then
  : "${RTVS_CACHE:=/var/cache/rtvs-remote}"
else
  : "${RTVS_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/rtvs-remote}"
fi
export RTVS_CACHE
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
