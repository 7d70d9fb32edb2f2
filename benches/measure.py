"""Measuring helpers the side-by-side benchmarks share."""

import datetime
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_measured(cmd):
    """Runs cmd, returns (stdout, wall_s, cpu_s, maxrss_kb).

    CPU (user + sys, all threads) comes from wait4's rusage. Peak RSS comes
    from GNU time instead: ru_maxrss survives execve, so a child forked
    straight from this Python process would report Python's own RSS; GNU
    time is a small C program, so the figure it reports is the client's own.
    """
    with tempfile.TemporaryDirectory(prefix="hornet-run-") as d:
        rss_file, out_file, err_file = (os.path.join(d, n) for n in ("rss", "out", "err"))
        t0 = time.time()
        with open(out_file, "wb") as out, open(err_file, "wb") as err:
            proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd],
                                    stdout=out, stderr=err)
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.time() - t0
        stdout = open(out_file, "rb").read().decode(errors="replace")
        if proc.returncode != 0:
            stderr = open(err_file, "rb").read().decode(errors="replace")
            sys.exit(f"{os.path.basename(cmd[0])} exited {proc.returncode}: {stderr}{stdout}")
        maxrss = int(open(rss_file).read().strip().splitlines()[-1])
    return stdout, wall, ru.ru_utime + ru.ru_stime, maxrss


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_server(port, listen="", extra=""):
    """An nginx server block on 127.0.0.1:port answering 200 "Hello, world!".

    listen is appended to the address (e.g. " ssl"); extra goes inside the
    block, before the location (e.g. an access_log).
    """
    return f"""    server {{
        listen 127.0.0.1:{port}{listen} reuseport backlog=8192;
{extra}        location / {{ default_type text/plain; return 200 "Hello, world!"; }}
    }}
"""


def start_nginx(workdir, workers, servers, ports, http_extra=""):
    """Starts nginx in the foreground with the server blocks `servers`
    (from nginx_server) and waits until each of `ports` accepts."""
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes {workers};
worker_rlimit_nofile 65536;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
daemon off;
events {{ worker_connections 8192; multi_accept on; }}
http {{
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
{http_extra}{"".join(servers)}}}
""")
    proc = subprocess.Popen([NGINX, "-c", conf, "-p", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    for port in ports:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    proc.kill()
                    sys.exit(f"nginx did not start (see {workdir}/error.log)")
                time.sleep(0.05)
    return proc


def host_meta():
    """Date (UTC), host name, CPU model, cores and kernel of this machine."""
    cpu_model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(), "cpu": cpu_model, "cores": os.cpu_count(),
        "kernel": platform.release(),
    }
