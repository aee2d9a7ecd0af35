#!/usr/bin/env bash
# Independent .NET readers (tests/dotnet): every PFX and broker configuration the collection writes,
# read by Mono's X509Certificate2 and by Newtonsoft.Json the way ASP.NET Core 1.x's JSON configuration
# provider reads it. Mono comes from Debian's packages through `scripts/bootstrap.sh test`, so a
# missing mono is a failure; RTVS_SKIP_DOTNET=1 skips the stage on purpose (it says so).
set -euo pipefail
if [ "${RTVS_SKIP_DOTNET:-}" = 1 ]; then
  echo "SKIPPED: stage 35-dotnet (RTVS_SKIP_DOTNET=1): no .NET reader checked the PFX and config files"
  exit 0
fi
for tool in mono mcs; do
  command -v "$tool" >/dev/null || {
    echo "ERROR: '$tool' is missing; run 'scripts/bootstrap.sh test' (it installs mono-runtime mono-mcs" \
      "libmono-system-security4.0-cil libnewtonsoft-json5.0-cil), or set RTVS_SKIP_DOTNET=1 to skip on purpose" >&2
    exit 1
  }
done
python -m pytest -q -p no:cacheprovider ${RTVS_JUNIT_DIR:+--junitxml="$RTVS_JUNIT_DIR/dotnet.xml"} tests/dotnet
