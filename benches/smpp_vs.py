#!/usr/bin/env python3
"""hornet smpp against hornet-smsc on loopback, and against node-smpp.

(a) Headline: one `hornet smpp` run (4 sessions, window 256, 1 thread) for
    --headline-duration seconds against `hornet-smsc --threads 1`:
    submit_sm/s (submit_sm.ok / duration), the slowest full second of the
    timeline, p50/p99/p99.9/max submit-to-response latency, client CPU-s
    (user + sys from wait4's rusage), CPU-s per 100,000 submit_sm and peak
    RSS (GNU time). Target: >= 150,000 submit_sm/s.
(b) Alternating rounds of hornet and benches/smpp_client.js (node-smpp, a
    third-party client driven at its maximum: same sessions and window, the
    next submit sent from each submit_sm_resp) against the same SMSC: per
    round submit_sm/s, CPU-s and CPU-s per 100,000 submit_sm; medians and
    the node/hornet ratio of CPU per 100,000 (target >= 10x).

The SMSC's own counters, printed when it stops, are checked against the sum
of what the clients reported. Everything raw is written under
benches/results/DATE-HOST-smpp.{txt,json}.
"""

import argparse
import datetime
import json
import os
import platform
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from measure import free_port, run_measured

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# HORNET_BIN runs another hornet build (e.g. the commit before a change)
# against the same peers; HORNET_LABEL names its result files.
HORNET = os.environ.get("HORNET_BIN") or os.path.join(ROOT, "target", "release", "hornet")
LABEL = ("-" + os.environ["HORNET_LABEL"]) if os.environ.get("HORNET_LABEL") else ""
SMSC = os.path.join(ROOT, "target", "release", "hornet-smsc")
CLIENT_JS = os.path.join(ROOT, "benches", "smpp_client.js")
DEFAULT_NODE_MODULES = os.path.join(ROOT, "target", "node-smpp", "node_modules")
SYSTEM_ID, PASSWORD = "esme", "pw"
HEADLINE_TARGET = 150_000
CPU_RATIO_TARGET = 10.0


def start_smsc(port):
    """Starts hornet-smsc and waits for its `listening on` line."""
    proc = subprocess.Popen([SMSC, "--listen", f"127.0.0.1:{port}", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("listening on"):
        proc.kill()
        sys.exit(f"hornet-smsc did not start: {line.strip()} {proc.stderr.read().strip()}")
    return proc


def stop_smsc(proc):
    """SIGTERM; returns the counters it prints on the way out."""
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    counters = {}
    for line in out.splitlines():
        k, sep, v = line.partition(":")
        if sep and v.strip().isdigit():
            counters[k.strip()] = int(v.strip())
    return counters


def hornet_cmd(port, args, duration, json_path):
    return [HORNET, "smpp", f"127.0.0.1:{port}", "--system-id", SYSTEM_ID, "--password", PASSWORD,
            "--sessions", str(args.sessions), "--window", str(args.window), "-d", f"{duration}s",
            "-t", str(args.threads), "-q", "--json", json_path]


def node_cmd(port, args, duration):
    cmd = ["node", CLIENT_JS, "--smpp-path", args.node_modules, "--host", "127.0.0.1",
           "--port", str(port), "--system-id", SYSTEM_ID, "--password", PASSWORD,
           "--sessions", str(args.sessions), "--window", str(args.window),
           "--duration", str(duration)]
    if args.node_no_cork:
        cmd.append("--no-cork")
    return cmd


def per_100k(cpu, n):
    return cpu / n * 100_000 if n else float("inf")


def run_hornet(port, args, duration, tmp):
    path = os.path.join(tmp, "hornet.json")
    _, wall, cpu, rss = run_measured(hornet_cmd(port, args, duration, path))
    with open(path) as f:
        doc = json.load(f)
    sm = doc["submit_sm"]
    secs = doc["duration_s"]
    errs = {k: v for k, v in doc["command_status"].items() if k != "0x00000000"}
    errs.update(doc["errors"])
    return {"client": "hornet", "submitted": sm["sent"], "responses": doc["requests"],
            "ok": sm["ok"], "seconds": secs, "rate": sm["ok"] / secs if secs else 0.0,
            "cpu_s": cpu, "cpu_s_per_100k": per_100k(cpu, sm["ok"]), "wall_s": wall,
            "maxrss_kb": rss, "errors": errs}, doc


def run_node(port, args, duration):
    out, wall, cpu, rss = run_measured(node_cmd(port, args, duration))
    doc = json.loads(out.strip().splitlines()[-1])
    secs = doc["seconds"]
    return {"client": "node-smpp", "submitted": doc["submitted"], "responses": doc["responses"],
            "ok": doc["ok"], "seconds": secs, "rate": doc["ok"] / secs if secs else 0.0,
            "cpu_s": cpu, "cpu_s_per_100k": per_100k(cpu, doc["ok"]), "wall_s": wall,
            "maxrss_kb": rss, "errors": doc["errors"]}, doc


def slowest_full_second(doc):
    """Fewest responses in any full 1-second interval of the timeline."""
    prev, worst = 0.0, None
    for iv in doc["timeline"]:
        if iv["t_s"] - prev >= 0.999:
            worst = iv["requests"] if worst is None else min(worst, iv["requests"])
        prev = iv["t_s"]
    return worst


def fmt_us(us):
    return f"{us / 1000:.2f}ms" if us >= 1000 else f"{us}us"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per client (3)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per round (10)")
    ap.add_argument("--headline-duration", type=int, default=30, help="seconds of the headline run (30)")
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1, help="hornet worker threads (1)")
    ap.add_argument("--node-modules", default=DEFAULT_NODE_MODULES,
                    help="node_modules folder holding smpp (benches/smpp_vs.sh installs it)")
    ap.add_argument("--node-no-cork", action="store_true",
                    help="node client: one socket write per PDU instead of corked batches")
    ap.add_argument("--quick", action="store_true", help="1 round of 3 s and a 5 s headline, for a smoke test")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration, args.headline_duration = 1, 3, 5
    args.node_modules = os.path.abspath(args.node_modules)
    for exe in (HORNET, SMSC):
        if not os.access(exe, os.X_OK):
            sys.exit(f"{exe} missing: run benches/smpp_vs.sh (it builds it)")

    tmp = tempfile.mkdtemp(prefix="hornet-smpp-bench-")
    port = free_port()
    smsc = start_smsc(port)
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    try:
        host = platform.node()
        cpu_model = ""
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
        with open(os.path.join(args.node_modules, "smpp", "package.json")) as f:
            smpp_version = json.load(f)["version"]
        meta = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": host, "cpu": cpu_model, "cores": os.cpu_count(), "kernel": platform.release(),
            "hornet": subprocess.run([HORNET, "--version"], capture_output=True, text=True).stdout.strip(),
            "hornet_smsc": subprocess.run([SMSC, "--version"], capture_output=True, text=True).stdout.strip(),
            "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
            "node_smpp": smpp_version, "node_cork": not args.node_no_cork,
            "smsc_threads": 1, "sessions": args.sessions, "window": args.window,
            "hornet_threads": args.threads, "bind": "transceiver",
            "headline_duration_s": args.headline_duration, "duration_s": args.duration,
            "rounds": args.rounds, "quick": args.quick,
        }
        say(f"# hornet smpp vs node-smpp, {meta['date']}, {host}, {cpu_model}, {meta['cores']} cores")
        say(f"# hornet-smsc --threads 1 on 127.0.0.1:{port}; {args.sessions} transceiver sessions, "
            f"window {args.window}, hornet -t {args.threads}; {meta['hornet']}, node {meta['node']}, "
            f"node-smpp {smpp_version}{'' if meta['node_cork'] else ' (no cork)'}")

        # (a) headline
        say()
        say(f"## headline: hornet smpp, {args.headline_duration} s")
        h, hdoc = run_hornet(port, args, args.headline_duration, tmp)
        lat = hdoc["submit_sm"]["latency_us"]
        worst = slowest_full_second(hdoc)
        headline = dict(h)
        headline.update({
            "latency_us": lat, "slowest_full_second": worst,
            "generator_cpu_s": hdoc["generator"]["cpu_s"],
            "max_worker_busy": hdoc["generator"]["max_worker_busy"],
            "timed_out": hdoc["submit_sm"]["timed_out"], "failed": hdoc["submit_sm"]["failed"],
            "target_rate": HEADLINE_TARGET, "meets_target": h["rate"] >= HEADLINE_TARGET,
            "every_second_meets_target": worst is not None and worst >= HEADLINE_TARGET,
        })
        say(f"submit_sm      {h['ok']:,} ok in {h['seconds']:.2f} s = {h['rate']:,.0f}/s "
            f"(slowest full second {worst if worst is None else format(worst, ',')}); "
            f"failed {headline['failed']}, timed out {headline['timed_out']}")
        say(f"latency        p50 {fmt_us(lat['p50'])}  p99 {fmt_us(lat['p99'])}  "
            f"p99.9 {fmt_us(lat['p999'])}  max {fmt_us(lat['max'])}  (submit_sm written -> submit_sm_resp read)")
        say(f"client         {h['cpu_s']:.2f} CPU-s = {h['cpu_s_per_100k']:.4f} CPU-s per 100k submit_sm, "
            f"peak RSS {h['maxrss_kb'] / 1024:.1f} MiB, busiest worker {headline['max_worker_busy'] * 100:.0f}% of a core")
        say(f"target         >= {HEADLINE_TARGET:,} submit_sm/s sustained: "
            f"{'MET' if headline['meets_target'] and headline['every_second_meets_target'] else 'NOT MET'}"
            f" (average {'>=' if headline['meets_target'] else '<'} target, every full second "
            f"{'>=' if headline['every_second_meets_target'] else '<'} target)")

        # (b) alternating rounds
        say()
        say(f"## CPU per message: hornet vs node-smpp, {args.rounds} alternating round(s) of {args.duration} s")
        say(f"{'round':5} {'client':9} {'submit_sm/s':>12} {'ok':>12} {'CPU-s':>8} {'CPU-s/100k':>11} {'RSS MiB':>8}  errors")
        rounds = []
        for i in range(args.rounds):
            for client in ("hornet", "node-smpp") if i % 2 == 0 else ("node-smpp", "hornet"):
                if client == "hornet":
                    r, _ = run_hornet(port, args, args.duration, tmp)
                else:
                    r, _ = run_node(port, args, args.duration)
                r["round"] = i + 1
                rounds.append(r)
                say(f"{i + 1:<5} {client:9} {r['rate']:>12,.0f} {r['ok']:>12,} {r['cpu_s']:>8.2f} "
                    f"{r['cpu_s_per_100k']:>11.4f} {r['maxrss_kb'] / 1024:>8.1f}  "
                    f"{json.dumps(r['errors']) if r['errors'] else ''}")

        def med(client, key):
            return statistics.median(r[key] for r in rounds if r["client"] == client)

        summary = {}
        for key in ("rate", "cpu_s", "cpu_s_per_100k", "maxrss_kb"):
            hv, nv = med("hornet", key), med("node-smpp", key)
            summary[key] = {"hornet": hv, "node_smpp": nv}
        summary["rate"]["hornet_over_node"] = (summary["rate"]["hornet"] / summary["rate"]["node_smpp"]
                                               if summary["rate"]["node_smpp"] else None)
        c = summary["cpu_s_per_100k"]
        c["node_over_hornet"] = c["node_smpp"] / c["hornet"] if c["hornet"] else None
        c["target_ratio"] = CPU_RATIO_TARGET
        c["meets_target"] = c["node_over_hornet"] is not None and c["node_over_hornet"] >= CPU_RATIO_TARGET
        m = summary["maxrss_kb"]
        m["node_over_hornet"] = m["node_smpp"] / m["hornet"] if m["hornet"] else None
        say()
        say(f"{'median':16} {'hornet':>12} {'node-smpp':>12} {'ratio':>10}")
        say(f"{'submit_sm/s':16} {summary['rate']['hornet']:>12,.0f} {summary['rate']['node_smpp']:>12,.0f} "
            f"{summary['rate']['hornet_over_node']:>9.1f}x  (hornet/node)")
        say(f"{'CPU-s/100k':16} {c['hornet']:>12.4f} {c['node_smpp']:>12.4f} "
            f"{c['node_over_hornet']:>9.1f}x  (node/hornet; target >= {CPU_RATIO_TARGET:.0f}x: "
            f"{'MET' if c['meets_target'] else 'NOT MET'})")
        say(f"{'peak RSS MiB':16} {m['hornet'] / 1024:>12.1f} {m['node_smpp'] / 1024:>12.1f} "
            f"{m['node_over_hornet']:>9.1f}x  (node/hornet)")
    finally:
        server = stop_smsc(smsc)
        shutil.rmtree(tmp, ignore_errors=True)

    # Cross-check: the SMSC answered exactly what the clients sent.
    runs = [headline, *rounds]
    sent = sum(r["submitted"] for r in runs)
    ok = sum(r["ok"] for r in runs)
    check = {"clients_submitted": sent, "clients_ok": ok,
             "smsc_submit_sm": server.get("submit_sm"), "smsc_submit_ok": server.get("submit_ok"),
             "smsc_binds_ok": server.get("binds_ok"), "smsc_unbinds_received": server.get("unbinds_received")}
    check["agrees"] = server.get("submit_sm") == sent and server.get("submit_ok") == ok
    say()
    say(f"smsc counters  submit_sm {server.get('submit_sm', '?'):,} (clients sent {sent:,}), "
        f"submit_ok {server.get('submit_ok', '?'):,} (clients counted {ok:,}): "
        f"{'agree' if check['agrees'] else 'DISAGREE'}")

    stamp = datetime.datetime.now().strftime("%Y-%m-%d")
    base = os.path.join(ROOT, "benches", "results", f"{stamp}-{host}-smpp{LABEL}")
    os.makedirs(os.path.dirname(base), exist_ok=True)
    with open(base + ".txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(base + ".json", "w") as f:
        json.dump({"meta": meta, "headline": headline, "rounds": rounds, "summary": summary,
                   "smsc_counters": server, "smsc_check": check}, f, indent=2)
    say(f"\nraw results: {base}.txt / .json")


if __name__ == "__main__":
    main()
