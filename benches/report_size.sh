#!/usr/bin/env bash
# Issue 5 size proof: a 10-minute open-model run at 20,000 requests/s
# against hornet-target, writing every report, sampling hornet's RSS every
# 20 s. Prints the file sizes, peak RSS and the RSS series; raw output in
# benches/results/DATE-HOST-report-size.txt.
#
# Usage: benches/report_size.sh [DURATION (default 10m)] [RATE (default 20000)]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10m}
rate=${2:-20000}
[ -x /usr/bin/time ] || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq time >/dev/null; }
cargo build --release -q -p hornet -p hornet-target
out=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
target/release/hornet-target --listen "127.0.0.1:$port" --threads 1 >/dev/null 2>&1 &
tp=$!
trap 'kill $tp 2>/dev/null || true' EXIT
sleep 0.5
/usr/bin/time -f "%M" -o "$out/maxrss" target/release/hornet http "http://127.0.0.1:$port/" -R "$rate" -c 64 -t 1 -d "$dur" -q \
  --json "$out/r.json" --html "$out/r.html" --csv "$out/r" --hdr-log "$out/r.hlog" > "$out/summary.txt" &
sleep 1
hp=$(pgrep -x hornet | head -1)
while kill -0 "$hp" 2>/dev/null; do ps -o rss= -p "$hp" >> "$out/rss" || true; sleep 20; done
wait
res="benches/results/$(date +%F)-$(hostname)-report-size.txt"
{
  echo "hornet http -R $rate -c 64 -t 1 -d $dur --json --html --csv --hdr-log ($(date -u +%FT%TZ), $(nproc) CPUs)"
  grep -E "requests|generator|warning" "$out/summary.txt" || true
  for f in r.json r.html r_stats.csv r_failures.csv r_stats_history.csv r.hlog; do
    printf '%-22s %10d bytes\n' "$f" "$(stat -c %s "$out/$f")"
  done
  echo "peak RSS $(cat "$out/maxrss") KiB"
  echo "RSS every 20 s (KiB): $(tr '\n' ' ' < "$out/rss")"
} | tee "$res"
