# Sourced by the benchmark scripts: installs the Debian packages a benchmark
# needs when the commands they provide are missing.
#
# Usage: need_packages COMMAND:PACKAGE ...  (COMMAND may be an absolute path)

need_packages() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    if [[ $cmd == /* ]]; then
      [ -x "$cmd" ] && continue
    else
      command -v "$cmd" >/dev/null 2>&1 && continue
    fi
    missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
