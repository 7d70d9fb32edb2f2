#!/usr/bin/env bash
# Renders a hornet HTML report to a PNG with headless Chromium, to look at
# what a reader of the report sees (the report needs no script or network).
#
# Usage: tools/report-screenshot.sh REPORT.html [OUT.png] [WIDTH] [HEIGHT]
# Installs Debian's chromium package if it is missing.
set -euo pipefail
in=${1:?usage: tools/report-screenshot.sh REPORT.html [OUT.png] [WIDTH] [HEIGHT]}
out=${2:-${in%.html}.png}
width=${3:-960}
height=${4:-2600}
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="${width},${height}" --screenshot="$(realpath -m "$out")" \
  "file://$(realpath "$in")" 2>/dev/null
echo "wrote $out"
