#!/usr/bin/env bash
# SMPP interoperability test: hornet against an independent SMSC (node-smpp),
# with the traffic captured by tshark and decoded by Wireshark's SMPP
# dissector. See README.md in this directory.
#
#   bash tests/interop/run.sh            # from anywhere; exits 0 on PASS
#
# Environment:
#   HORNET=/path/to/hornet   use this binary instead of building target/release/hornet
#   INTEROP_KEEP=1           keep the temp dir (capture, JSON, logs) and print its path
#   NODE_SMPP_VERSION=x.y.z  node-smpp version to install (default below)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

NODE_SMPP_VERSION=${NODE_SMPP_VERSION:-0.5.1}
SYSTEM_ID=hornet
PASSWORD=secret

tmp=$(mktemp -d -t hornet-interop.XXXXXX)
smsc_pid=""
tshark_pid=""
rx_pid=""

log() { printf '[interop] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops one background process by pid: TERM, then KILL after 10 s.
stop_pid() {
  local pid=$1 sig=${2:-TERM} i
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop_pid "$rx_pid"
  stop_pid "$tshark_pid" INT
  stop_pid "$smsc_pid"
  if [[ ${INTEROP_KEEP:-0} == 1 || $rc != 0 ]]; then
    log "artifacts kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# Waits up to $2 seconds for the regex $3 to appear in file $1.
wait_for_line() {
  local file=$1 secs=$2 re=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    grep -qE "$re" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Reads a dotted key from a JSON file (python3, no jq needed).
jget() {
  python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

# --- 1. what the test needs ------------------------------------------------

as_root=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || die "not root and no sudo: cannot install packages or capture on lo"
  as_root=(sudo -n)
fi

apt_updated=0
apt_install() {
  if [[ $apt_updated == 0 ]]; then
    log "apt-get update"
    timeout 300 "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$tmp/apt.log" 2>&1 ||
      { cat "$tmp/apt.log" >&2; die "apt-get update failed"; }
    apt_updated=1
  fi
  log "apt-get install $*"
  timeout 600 "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >>"$tmp/apt.log" 2>&1 ||
    { tail -20 "$tmp/apt.log" >&2; die "apt-get install $* failed"; }
}

for tool in python3 timeout; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi

if ! command -v tshark >/dev/null; then
  # Answer the "should non-superusers capture" question up front: no prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" |
    "${as_root[@]}" debconf-set-selections
  apt_install tshark
fi

log "npm install smpp@$NODE_SMPP_VERSION"
timeout 300 npm install --prefix "$tmp/npm" --no-audit --no-fund --no-save --loglevel=error \
  "smpp@$NODE_SMPP_VERSION" >"$tmp/npm.log" 2>&1 ||
  { cat "$tmp/npm.log" >&2; die "npm install smpp@$NODE_SMPP_VERSION failed"; }
export NODE_PATH="$tmp/npm/node_modules"
node_smpp_version=$(node -p 'require("smpp/package.json").version')

if [[ -z ${HORNET:-} ]]; then
  log "cargo build --release -p hornet"
  (cd "$root" && timeout 1800 cargo build --release -p hornet --quiet) || die "cargo build failed"
  HORNET="${CARGO_TARGET_DIR:-$root/target}/release/hornet"
fi
[[ -x $HORNET ]] || die "no hornet binary at $HORNET"
"$HORNET" smpp --help >/dev/null 2>&1 || die "$HORNET has no 'smpp' subcommand"

tshark_version=$(tshark --version 2>/dev/null | head -1)
node_version=$(node --version)

# --- 2. SMSC and capture ----------------------------------------------------

# Port 0: the SMSC picks a free port itself and prints it (no race between
# choosing a port and binding it).
node "$here/smsc.js" --port 0 --system-id "$SYSTEM_ID" --password "$PASSWORD" \
  >"$tmp/smsc.out" 2>"$tmp/smsc.err" &
smsc_pid=$!
wait_for_line "$tmp/smsc.out" 15 '^listening on 127\.0\.0\.1:[0-9]+$' ||
  { cat "$tmp/smsc.err" >&2; die "the SMSC did not start within 15 s"; }
PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/smsc.out")
log "node-smpp $node_smpp_version SMSC on 127.0.0.1:$PORT"

"${as_root[@]}" tshark -i lo -f "tcp port $PORT" -B 64 -w "$tmp/cap.pcapng" \
  >"$tmp/tshark.out" 2>"$tmp/tshark.err" &
tshark_pid=$!
wait_for_line "$tmp/tshark.err" 20 '^Capturing on' ||
  { cat "$tmp/tshark.err" >&2; die "tshark did not start capturing within 20 s"; }
sleep 0.5 # let the capture settle before the first SYN
log "tshark capturing on lo, tcp port $PORT"

# --- 3. load ------------------------------------------------------------------

hornet() {
  local name=$1
  shift
  log "run $name: hornet smpp 127.0.0.1:$PORT $*"
  local rc=0
  timeout 60 "$HORNET" smpp "127.0.0.1:$PORT" --system-id "$SYSTEM_ID" --password "$PASSWORD" \
    --json "$tmp/$name.json" -q "$@" >"$tmp/$name.txt" 2>&1 || rc=$?
  if ((rc != 0)); then
    cat "$tmp/$name.txt" >&2
    die "hornet run '$name' failed (exit $rc; 124 = killed after 60 s)"
  fi
}

# Run 1, open model: 200 submit_sm/s over two transceiver binds, with receipts.
hornet open --sessions 2 --window 16 -R 200 -d 3s --dlr
# Run 2, closed model: each bind keeps its window full for a second.
hornet closed --sessions 2 --window 16 -d 1s --dlr
# Run 3, split binds: a receiver (idle long enough to send enquire_link)
# takes the receipts of submits made on two transmitters; these submits are
# UCS-2 and long enough to be split into concatenated parts (UDH).
UCS2_TEXT='Привет from hornet: a UCS-2 text longer than seventy characters, so it goes out in parts.'
hornet rx --bind rx --sessions 1 -d 3s --enquire-link 200ms &
rx_pid=$!
sleep 1 # the receiver binds first, so the SMSC can route receipts to it
hornet tx --bind tx --sessions 2 --window 8 -d 1s --dlr --coding ucs2 --text "$UCS2_TEXT"
wait "$rx_pid" || die "hornet run 'rx' failed"
rx_pid=""

sleep 0.5 # the last unbind_resp and FIN reach the capture
stop_pid "$tshark_pid" INT
tshark_pid=""
stop_pid "$smsc_pid" TERM
smsc_pid=""
smsc_json=$(tail -1 "$tmp/smsc.out")
echo "$smsc_json" >"$tmp/smsc.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/smsc.json" 2>/dev/null ||
  { cat "$tmp/smsc.out" "$tmp/smsc.err" >&2; die "the SMSC printed no counters"; }

# --- 4. checks ------------------------------------------------------------------

failures=0
report=()
check() { # check DESCRIPTION CONDITION...
  local desc=$1
  shift
  if "$@"; then
    report+=("  ok    $desc")
  else
    report+=("  FAIL  $desc")
    failures=$((failures + 1))
  fi
}
eq() { [[ $1 -eq $2 ]]; }
ge() { [[ $1 -ge $2 ]]; }
gt() { [[ $1 -gt $2 ]]; }

sum_field() { # sum of one key over the hornet runs named
  local key=$1 total=0 run
  shift
  for run in "$@"; do total=$((total + $(jget "$tmp/$run.json" "$key"))); done
  echo "$total"
}

# (a) hornet's own accounting, per run.
for run in open closed rx tx; do
  f="$tmp/$run.json"
  sched=$(jget "$f" scheduled); req=$(jget "$f" requests); failed=$(jget "$f" failed)
  tout=$(jget "$f" timed_out); ns=$(jget "$f" not_sent)
  s_ok=$(jget "$f" submit_sm.ok); s_failed=$(jget "$f" submit_sm.failed)
  s_thr=$(jget "$f" submit_sm.throttled); s_to=$(jget "$f" submit_sm.timed_out)
  s_ns=$(jget "$f" submit_sm.not_sent)
  check "$run: accounting scheduled $sched = requests $req + failed $failed + timed_out $tout + not_sent $ns" \
    eq "$sched" $((req + failed + tout + ns))
  check "$run: accounting scheduled $sched = ok $s_ok + failed $s_failed + throttled $s_thr + timed_out $s_to + not_sent $s_ns" \
    eq "$sched" $((s_ok + s_failed + s_thr + s_to + s_ns))
  check "$run: bind_failed $(jget "$f" sessions.bind_failed) = 0" eq "$(jget "$f" sessions.bind_failed)" 0
  check "$run: generic_nack $(jget "$f" generic_nacks) = 0" eq "$(jget "$f" generic_nacks)" 0
done
for run in open closed tx; do
  f="$tmp/$run.json"
  check "$run: sessions.bound $(jget "$f" sessions.bound) >= 2" ge "$(jget "$f" sessions.bound)" 2
  check "$run: submit_sm.ok $(jget "$f" submit_sm.ok) > 0 and = requests (no error status)" \
    eq "$(jget "$f" submit_sm.ok)" "$(jget "$f" requests)"
  gt "$(jget "$f" submit_sm.ok)" 0 || check "$run: submit_sm.ok > 0" false
done
for run in open closed; do
  f="$tmp/$run.json"
  check "$run: receipts.matched $(jget "$f" receipts.matched) > 0 and = receipts.received $(jget "$f" receipts.received)" \
    eq "$(jget "$f" receipts.matched)" "$(jget "$f" receipts.received)"
  gt "$(jget "$f" receipts.matched)" 0 || check "$run: receipts.matched > 0" false
done
check "rx: sessions.bound $(jget "$tmp/rx.json" sessions.bound) = 1" eq "$(jget "$tmp/rx.json" sessions.bound)" 1
check "rx: enquire_link sent $(jget "$tmp/rx.json" sessions.enquire_links) > 0" \
  gt "$(jget "$tmp/rx.json" sessions.enquire_links)" 0
check "rx: receipts.received $(jget "$tmp/rx.json" receipts.received) = tx submit_sm.ok $(jget "$tmp/tx.json" submit_sm.ok)" \
  eq "$(jget "$tmp/rx.json" receipts.received)" "$(jget "$tmp/tx.json" submit_sm.ok)"

# hornet against the SMSC's own counters.
hornet_ok=$(sum_field submit_sm.ok open closed tx)
hornet_sent=$(sum_field submit_sm.sent open closed tx)
hornet_requests=$(sum_field requests open closed tx)
hornet_binds=$(sum_field sessions.bound open closed rx tx)
hornet_deliver=$(sum_field deliver_sm open closed rx tx)
hornet_receipts=$(sum_field receipts.received open closed rx tx)
hornet_enquire=$(sum_field sessions.enquire_links open closed rx tx)
smsc_submits=$(jget "$tmp/smsc.json" submits)
smsc_binds=$(jget "$tmp/smsc.json" binds)
smsc_receipts_sent=$(jget "$tmp/smsc.json" receipts_sent)
smsc_acked=$(jget "$tmp/smsc.json" receipts_acked)
smsc_unbinds=$(jget "$tmp/smsc.json" unbinds)
smsc_enquire=$(jget "$tmp/smsc.json" enquire_links)
check "hornet submit_sm.ok $hornet_ok = SMSC submits $smsc_submits" eq "$hornet_ok" "$smsc_submits"
check "hornet sessions bound $hornet_binds = SMSC binds $smsc_binds" eq "$hornet_binds" "$smsc_binds"
check "SMSC unbinds $smsc_unbinds = binds $smsc_binds (every session unbound)" eq "$smsc_unbinds" "$smsc_binds"
check "hornet receipts received $hornet_receipts = SMSC receipts acked $smsc_acked" eq "$hornet_receipts" "$smsc_acked"
smsc_dropped=$(jget "$tmp/smsc.json" receipts_unroutable)
check "SMSC receipts sent $smsc_receipts_sent + dropped after unbind $smsc_dropped = submits $smsc_submits (all runs ask for receipts)" \
  eq $((smsc_receipts_sent + smsc_dropped)) "$smsc_submits"
check "hornet enquire_link sent $hornet_enquire = SMSC enquire_link $smsc_enquire" eq "$hornet_enquire" "$smsc_enquire"
for k in bind_rejected submits_rejected receipts_nacked pdu_errors unknown_commands generic_nacks_received; do
  check "SMSC $k $(jget "$tmp/smsc.json" "$k") = 0" eq "$(jget "$tmp/smsc.json" "$k")" 0
done

# (b) Wireshark's SMPP dissector: every PDU type on the wire, counted.
tshark_ws() { tshark -r "$tmp/cap.pcapng" -d "tcp.port==$PORT,smpp" "$@" 2>>"$tmp/tshark-read.err"; }
tshark_ws -Y smpp -T fields -e smpp.command_id >"$tmp/command_ids.txt"
declare -A pdus=()
while IFS= read -r id; do
  [[ -n $id ]] && pdus[$id]=$((${pdus[$id]:-0} + 1))
done < <(tr ',' '\n' <"$tmp/command_ids.txt")
pdu() { echo "${pdus[$1]:-0}"; }
declare -A pdu_names=(
  [0x00000001]=bind_receiver [0x80000001]=bind_receiver_resp
  [0x00000002]=bind_transmitter [0x80000002]=bind_transmitter_resp
  [0x00000009]=bind_transceiver [0x80000009]=bind_transceiver_resp
  [0x00000004]=submit_sm [0x80000004]=submit_sm_resp
  [0x00000005]=deliver_sm [0x80000005]=deliver_sm_resp
  [0x00000015]=enquire_link [0x80000015]=enquire_link_resp
  [0x00000006]=unbind [0x80000006]=unbind_resp
  [0x80000000]=generic_nack
)
for id in 0x00000009 0x80000009 0x00000002 0x80000002 0x00000001 0x80000001 \
  0x00000004 0x80000004 0x00000005 0x80000005 0x00000015 0x80000015 0x00000006 0x80000006; do
  check "wire: ${pdu_names[$id]} ($id) seen $(pdu "$id") times" gt "$(pdu "$id")" 0
done
check "wire: submit_sm $(pdu 0x00000004) = hornet submit_sm.sent $hornet_sent" eq "$(pdu 0x00000004)" "$hornet_sent"
check "wire: submit_sm_resp $(pdu 0x80000004) = hornet requests $hornet_requests" eq "$(pdu 0x80000004)" "$hornet_requests"
check "wire: deliver_sm $(pdu 0x00000005) = SMSC receipts sent $smsc_receipts_sent" eq "$(pdu 0x00000005)" "$smsc_receipts_sent"
check "wire: deliver_sm_resp $(pdu 0x80000005) = hornet deliver_sm answered $hornet_deliver" eq "$(pdu 0x80000005)" "$hornet_deliver"
check "wire: unbind $(pdu 0x00000006) = hornet binds $hornet_binds" eq "$(pdu 0x00000006)" "$hornet_binds"
check "wire: generic_nack $(pdu 0x80000000) = 0" eq "$(pdu 0x80000000)" 0
other=0
for id in "${!pdus[@]}"; do [[ -n ${pdu_names[$id]:-} ]] || other=$((other + pdus[$id])); done
check "wire: PDUs of other types $other = 0" eq "$other" 0
# What the dissector read inside hornet's PDUs, not only their headers.
IFS=$'\t' read -r src dst regdel dcs smlen < <(tshark_ws -Y 'smpp.command_id == 0x00000004' \
  -T fields -E occurrence=f -e smpp.source_addr -e smpp.destination_addr \
  -e smpp.regdel.receipt -e smpp.data_coding -e smpp.sm_length | head -1) || true
first_submit_ok() { # what hornet's defaults put in: run 1's first submit_sm
  [[ ${src:-} == hornet && ${dst:-} =~ ^99890[0-9]{7}$ && ${regdel:-} == 0x01 && ${dcs:-} == 0x00 && ${smlen:-} == 24 ]]
}
check "wire: first submit_sm decodes as source '${src:-}', dest ${dst:-}, receipt ${regdel:-}, data_coding ${dcs:-}, sm_length ${smlen:-}" \
  first_submit_ok
ucs2=$(tshark_ws -Y 'smpp.command_id == 0x00000004' -T fields -e smpp.data_coding -e smpp.esm.submit.features |
  python3 -c 'import sys
n = 0
for line in sys.stdin:
    dcs, feat = (line.rstrip("\n").split("\t") + [""])[:2]
    n += sum(1 for d, f in zip(dcs.split(","), feat.split(",")) if d == "0x08" and f == "0x01")
print(n)')
tx_sent=$(jget "$tmp/tx.json" submit_sm.sent)
check "wire: UCS-2 submit_sm with UDH indicator $ucs2 = tx submit_sm.sent $tx_sent" eq "$ucs2" "$tx_sent"
total_pdus=0
for id in "${!pdus[@]}"; do total_pdus=$((total_pdus + pdus[$id])); done

# (c) no malformed packet, no expert info of severity error (8388608 = Error;
# numeric so the filter reads the same on every Wireshark version).
tshark_ws -Y '_ws.malformed || _ws.expert.severity >= 8388608' \
  -T fields -e frame.number -e _ws.col.Info >"$tmp/malformed.txt"
malformed=$(grep -c . "$tmp/malformed.txt" || true)
check "wire: malformed or error-severity frames $malformed = 0" eq "$malformed" 0
tshark_ws -Y '_ws.expert.severity >= 6291456' -T fields -e _ws.expert.message >"$tmp/warnings.txt"
warnings=$(grep -c . "$tmp/warnings.txt" || true)
frames=$(tshark_ws -T fields -e frame.number | grep -c . || true)
smpp_frames=$(grep -c . "$tmp/command_ids.txt" || true)

# --- 5. summary ----------------------------------------------------------------

{
  echo "hornet SMPP interop test — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "  hornet:    $HORNET ($("$HORNET" --version 2>/dev/null || echo '?'))"
  echo "  SMSC:      node-smpp $node_smpp_version on node $node_version, 127.0.0.1:$PORT"
  echo "  decoder:   $tshark_version"
  echo "  capture:   $frames frames, $smpp_frames with SMPP, $total_pdus SMPP PDUs"
  for run in open closed rx tx; do
    f="$tmp/$run.json"
    printf '  run %-7s bound %s, submit_sm sent %s ok %s, receipts %s matched %s, enquire_link %s\n' \
      "$run" "$(jget "$f" sessions.bound)" "$(jget "$f" submit_sm.sent)" "$(jget "$f" submit_sm.ok)" \
      "$(jget "$f" receipts.received)" "$(jget "$f" receipts.matched)" "$(jget "$f" sessions.enquire_links)"
  done
  echo "  SMSC counters: $smsc_json"
  echo "  PDUs decoded by Wireshark:"
  for id in $(printf '%s\n' "${!pdus[@]}" | sort); do
    printf '    %-22s %s %8d\n' "${pdu_names[$id]:-unknown}" "$id" "${pdus[$id]}"
  done
  echo "  malformed/error frames: $malformed; warning-or-worse expert infos: $warnings"
  if ((warnings > 0)); then
    sort "$tmp/warnings.txt" | uniq -c | sort -rn | head -5 | sed 's/^/      /'
  fi
  echo "checks:"
  printf '%s\n' "${report[@]}"
  if ((failures == 0)); then
    echo "PASS: ${#report[@]} checks"
  else
    echo "FAIL: $failures of ${#report[@]} checks failed"
    sed -n '1,20p' "$tmp/malformed.txt"
  fi
} | tee "$tmp/summary.txt"

((failures == 0))
