#!/usr/bin/env python3
"""bench.py: the measuring half of bench/run.sh (which prepares feeds, build and peers).
`bench.py --render ROOT bench/out/results.json` rewrites BENCHMARKS.md from a saved run.

1. Correctness: rapport's occurrences that start in the window equal the ground truth exactly,
   for every feed (exit 1 otherwise, after the report is written).
2. Timing: hyperfine (median wall time) for rapport, the floor and the peers, feed by feed in the
   same run. Slow peers get fewer runs; the table says how many.
3. Memory: peak RSS from /usr/bin/time -v (a separate run for rapport and the floor, whose times
   are too short to wrap; the timed runs themselves for the peers).
4. BENCHMARKS.md: the tables, the targets of issue 5 and whether they are met, the machine, and
   bench/NOTES.md (the hand-written profile notes) appended.
"""
import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import occ_lines  # noqa: E402

W0, W1 = "2026-11-27T00:00:00Z", "2026-12-11T00:00:00Z"
FEEDS = ["iana-1000", "iana-10000", "iana-50000", "windows-10000", "mixed-10000"]
ENV = dict(os.environ, TZ="UTC")
# Peers: a feed whose single run would take longer than PEER_RUN_LIMIT_S (estimated from the
# previous feed) is not run, with a note; otherwise as many runs (1 to 5) as fit in the budget.
PEER_RUN_LIMIT_S = 60.0
PEER_CELL_BUDGET_S = 35.0
PEER_NAMES = {"icaljs": "ical.js", "python": "python recurring-ical-events"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout.strip()


def machine(root: str) -> dict:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = sh(["git", "-C", root, "rev-parse", "--short=12", "HEAD"])
        if sh(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"]):
            commit += " (with uncommitted changes)"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, AttributeError):
        pass

    def version(cmd):
        try:
            return sh(cmd).splitlines()[0]
        except (OSError, subprocess.CalledProcessError, IndexError):
            return "n/a"

    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "cores": os.cpu_count(),
        "cpu": cpu,
        "mem": mem,
        "kernel": platform.release(),
        "load_start": os.getloadavg(),
        "hyperfine": version(["hyperfine", "--version"]),
        "rustc": version(["rustc", "--version"]),
        "node": version(["node", "--version"]),
    }


def peak_rss_kib(text: str) -> int:
    """Largest 'Maximum resident set size' in /usr/bin/time -v output (several runs appended)."""
    vals = [int(v) for v in re.findall(r"Maximum resident set size \(kbytes\): (\d+)", text)]
    if not vals:
        raise RuntimeError("no 'Maximum resident set size' in /usr/bin/time -v output")
    return max(vals)


def measure_rss(cmd: list[str]) -> int:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        subprocess.run(["/usr/bin/time", "-v", "-o", t.name] + cmd, env=ENV, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return peak_rss_kib(open(t.name).read())


def hyperfine(name: str, cmd: list[str], out: str, runs: int | None, warmup: int,
              wrap_rss: bool) -> dict:
    """Median wall time of `cmd` (hyperfine -N, output discarded). With wrap_rss, every run goes
    through /usr/bin/time -v and the peak RSS over the runs is returned too."""
    export = os.path.join(out, f"hf-{name}.json")
    rss_file = os.path.join(out, f"rss-{name}.txt")
    if wrap_rss:
        open(rss_file, "w").close()
        cmd = ["/usr/bin/time", "-v", "-a", "-o", rss_file] + cmd
    args = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--export-json", export]
    args += ["--runs", str(runs)] if runs else ["--min-runs", "10"]
    args += ["--command-name", name, " ".join(cmd)]
    r = subprocess.run(args, env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        return {"error": " / ".join(tail) or f"hyperfine exit {r.returncode}"}
    res = json.load(open(export))["results"][0]
    row = {"median": res["median"], "mean": res["mean"], "stddev": res.get("stddev"),
           "min": res["min"], "runs": len(res["times"]), "cpu": res["user"] + res["system"]}
    if wrap_rss:
        row["rss_kib"] = peak_rss_kib(open(rss_file).read())
    return row


def check(rapport: str, feed: str, out: str, compare: str) -> dict:
    """rapport's occurrences starting in the window against the generator's ground truth."""
    ics = os.path.join(out, feed + ".ics")
    truth_path = os.path.join(out, feed + ".truth.txt")
    json_path = os.path.join(out, feed + ".rapport.json")
    lines_path = os.path.join(out, feed + ".rapport.txt")
    with open(json_path, "w") as f:
        r = subprocess.run([rapport, "agenda", "--ics", ics, "--from", W0, "--to", W1, "--json",
                            "--include-cancelled"], env=ENV, stdout=f, stderr=subprocess.PIPE,
                           text=True)
    if r.returncode != 0:
        return {"ok": False, "error": f"rapport exit {r.returncode}: {r.stderr.strip()[:300]}"}
    got = occ_lines.lines(json.load(open(json_path)))
    open(lines_path, "w").write("".join(x + "\n" for x in got))
    truth = sorted(x.rstrip("\n") for x in open(truth_path) if x.strip())
    missing, extra = multiset_diff(truth, got)
    res = {"ok": not missing and not extra, "truth": len(truth), "rapport": len(got),
           "missing": len(missing), "extra": len(extra),
           "cancelled": sum(1 for x in got if x.endswith(" CANCELLED"))}
    if not res["ok"]:
        # compare.py classifies the differences (1-hour shifts, before-window extras, ...)
        cls = subprocess.run([sys.executable, compare, truth_path, lines_path],
                             capture_output=True, text=True)
        res["classified"] = cls.stdout.strip()
        with open(os.path.join(out, feed + ".diff"), "w") as f:
            f.writelines(f"- {x}\n" for x in missing)
            f.writelines(f"+ {x}\n" for x in extra)
    return res


def multiset_diff(a: list[str], b: list[str]) -> tuple[list[str], list[str]]:
    from collections import Counter
    ca, cb = Counter(a), Counter(b)
    return sorted((ca - cb).elements()), sorted((cb - ca).elements())


def fmt_t(row: dict | None) -> str:
    if not row:
        return "skipped"
    if "error" in row:
        return "failed"
    m = row["median"]
    s = f"{m * 1000:.1f} ms" if m < 1 else f"{m:.2f} s"
    return s if row["runs"] >= 5 else f"{s} (n={row['runs']})"


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mb(kib: int | None) -> str:
    return "-" if kib is None else f"{kib * 1024 / 1e6:.0f} MB"


def ratio(a: dict | None, b: dict | None) -> float | None:
    if not a or not b or "error" in a or "error" in b:
        return None
    return a["median"] / b["median"]


def cpu_ratio(a: dict | None, b: dict | None) -> float | None:
    """Ratio of mean CPU time (user + system): less disturbed than wall time on a busy machine."""
    if not a or not b or "cpu" not in a or "cpu" not in b or not b["cpu"]:
        return None
    return a["cpu"] / b["cpu"]


def fmt_r(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}x"


def render(root: str, results_json: str) -> int:
    """Rewrites BENCHMARKS.md from a saved results.json (after editing bench/NOTES.md)."""
    r = json.load(open(results_json))
    out = os.path.dirname(os.path.abspath(results_json))
    for feed, tools in r["results"].items():
        for tool, row in tools.items():
            hf = os.path.join(out, f"hf-{tool}-{feed}.json")
            if row and "error" not in row and "cpu" not in row and os.path.exists(hf):
                res = json.load(open(hf))["results"][0]
                row["cpu"] = res["user"] + res["system"]
    windows = [(w["days"], w["occurrences"], w) for w in r["windows"]]
    md = report(r["machine"], r["feeds"], r["correctness"], r["results"], windows, r["status"],
                r["notes"], argparse.Namespace(root=root), r["steady_state"])
    open(os.path.join(root, "BENCHMARKS.md"), "w").write(md)
    print(md)
    return 0 if all(c["ok"] for c in r["correctness"].values()) else 1


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--render":
        return render(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rapport", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--compare", required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--steady", help="the steady_state example binary (daemon refresh bench)")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()

    status = {}
    for line in open(a.status):
        name, _, rest = line.strip().partition(" ")
        status[name] = rest
    have = {p: status.get(p) == "ok" for p in ("floor", "icaljs", "python")}
    mach = machine(a.root)
    feeds = {}
    for feed in FEEDS:
        ics = os.path.join(a.out, feed + ".ics")
        stats = json.load(open(os.path.join(a.out, feed + ".stats.json")))
        feeds[feed] = {"bytes": os.path.getsize(ics), "vevents": stats["vevent_components"],
                       "uids": stats["uids"], "occ_window": stats["occ_start_in_window"]}

    # 1. correctness
    log("correctness (occurrences starting in the window vs gen_ics.py --occ-out):")
    correct = {}
    for feed in FEEDS:
        c = correct[feed] = check(a.rapport, feed, a.out, a.compare)
        if "error" in c:
            log(f"  {feed}: ERROR {c['error']}")
        else:
            log(f"  {feed}: truth={c['truth']} rapport={c['rapport']} missing={c['missing']} "
                f"extra={c['extra']} (cancelled {c['cancelled']}) {'OK' if c['ok'] else 'MISMATCH'}")
            if not c["ok"]:
                log("    " + c["classified"].replace("\n", "\n    "))
                log(f"    full diff: bench/out/{feed}.diff")

    # 2+3. timing and memory, feed by feed
    fast_runs = 3 if a.quick else None  # None: hyperfine's default, >= 10 runs and >= 3 s
    results: dict[str, dict[str, dict | None]] = {f: {} for f in FEEDS}
    notes = []
    # Peers take seconds to a minute per run: each gets a time budget per feed, and its run
    # count follows from its seconds per byte on the previous feed (3 runs on the first).
    per_byte: dict[str, float] = {}
    peer_cmds = {
        "icaljs": lambda ics: ["node", os.path.join(a.peers, "ical_list.mjs"), ics],
        "python": lambda ics: [os.path.join(a.peers, "venv", "bin", "python"),
                               os.path.join(os.path.dirname(a.compare), "rie_list.py"), ics],
    }
    for feed in FEEDS:
        ics = os.path.join(a.out, feed + ".ics")
        size = feeds[feed]["bytes"]
        rapport_cmd = [a.rapport, "agenda", "--ics", ics, "--from", W0, "--to", W1, "--json"]
        cmds = {"rapport": (rapport_cmd, fast_runs, 2, False)}
        if have["floor"]:
            cmds["floor"] = ([os.path.join(a.peers, "floor"), ics], fast_runs, 2, False)
        for peer, make in peer_cmds.items():
            if not have[peer]:
                continue
            est = per_byte[peer] * size if peer in per_byte else None
            if est is not None and est > PEER_RUN_LIMIT_S:
                notes.append(f"{PEER_NAMES[peer]} not run on {feed}: about {est:.0f} s per run "
                             f"(from its previous feed), over the {PEER_RUN_LIMIT_S:.0f} s limit")
                continue
            runs = 1 if a.quick else 3 if est is None else max(1, min(5, int(PEER_CELL_BUDGET_S / est)))
            cmds[peer] = (make(ics), runs, 0, True)
        for tool, (cmd, runs, warmup, wrap) in cmds.items():
            log(f"  {feed:14} {tool:8} ...")
            row = hyperfine(f"{tool}-{feed}", cmd, a.out, runs, warmup, wrap)
            if "error" not in row and not wrap:
                row["rss_kib"] = measure_rss(cmd)
            results[feed][tool] = row
            log(f"  {feed:14} {tool:8} {fmt_t(row):>14}  {fmt_mb(row.get('rss_kib')):>8}"
                + (f"  {row['error']}" if "error" in row else ""))
            if tool in peer_cmds and "error" not in row:
                per_byte[tool] = row["median"] / size

    # Window scaling: the same 10k feed, windows of 1 day to 1 year.
    log("window scaling on iana-10000:")
    windows = []
    ics10k = os.path.join(a.out, "iana-10000.ics")
    for days in (1, 14, 90, 365):
        to = (dt.datetime(2026, 11, 27) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        cmd = [a.rapport, "agenda", "--ics", ics10k, "--from", W0, "--to", to, "--json"]
        row = hyperfine(f"rapport-window-{days}d", cmd, a.out, fast_runs, 2, False)
        try:
            occ = len(json.loads(sh(cmd, env=ENV)))
        except (subprocess.CalledProcessError, json.JSONDecodeError):
            occ = None
        windows.append((days, occ, row))
        log(f"  {days:4} days: {fmt_t(row):>12}  {occ} occurrences")

    steady = None
    if a.steady and os.path.exists(a.steady):
        log("daemon steady state (bench/steady_state.rs, iana-10000 over 127.0.0.1):")
        r = subprocess.run([a.steady, ics10k, "3", "3" if a.quick else "7"], env=ENV,
                           capture_output=True, text=True)
        if r.returncode == 0:
            steady = json.loads(r.stdout.strip().splitlines()[-1])
            log("  " + json.dumps(steady))
        else:
            steady = {"error": r.stderr.strip()[-300:]}
            log(f"  FAILED: {steady['error']}")
    else:
        notes.append("daemon steady state not measured: the steady_state example was not built")

    log("daemon: `rapport run` with iana-10000 served on 127.0.0.1:")
    daemon = measure_daemon(a.rapport, ics10k, idle_s=10 if a.quick else 60)
    log("  " + json.dumps(daemon))
    steady = dict(steady or {}, daemon=daemon) if steady is not None else {"daemon": daemon}

    mach["load_end"] = os.getloadavg()
    md = report(mach, feeds, correct, results, windows, status, notes, a, steady)
    print(md)
    open(os.path.join(a.root, "BENCHMARKS.md"), "w").write(md)
    json.dump({"machine": mach, "feeds": feeds, "correctness": correct, "results": results,
               "steady_state": steady, "status": status, "notes": notes,
               "windows": [{"days": d, "occurrences": o, **r} for d, o, r in windows]},
              open(os.path.join(a.out, "results.json"), "w"), indent=1)
    log("wrote BENCHMARKS.md and bench/out/results.json")
    bad = [f for f, c in correct.items() if not c["ok"]]
    if bad:
        log(f"CORRECTNESS MISMATCH on {', '.join(bad)}")
        return 1
    return 0


def proc_status(pid: int) -> dict:
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            out[k] = int(v.split()[0])
    return out


def cpu_ticks(pid: int) -> int:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def measure_daemon(rapport: str, feed: str, idle_s: int) -> dict:
    """The real daemon: RSS after its first refresh of the feed (served by a local HTTP
    server), and the CPU it uses in `idle_s` seconds with nothing due."""
    import http.server
    import socketserver
    import tempfile
    import threading
    body = open(feed, "rb").read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = socketserver.TCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="rapport-bench-daemon-")
    cfg = os.path.join(tmp, "rapport.toml")
    open(cfg, "w").write(
        "[[calendar]]\nname = \"work\"\n"
        f"url = \"http://127.0.0.1:{srv.server_address[1]}/work.ics\"\nrefresh = \"15m\"\n"
        f"[people]\ndir = \"{tmp}/people\"\n")
    os.makedirs(os.path.join(tmp, "run"), mode=0o700)
    env = dict(ENV, HOME=tmp, XDG_CONFIG_HOME=f"{tmp}/config", XDG_CACHE_HOME=f"{tmp}/cache",
               XDG_STATE_HOME=f"{tmp}/state", XDG_DATA_HOME=f"{tmp}/data",
               XDG_RUNTIME_DIR=f"{tmp}/run", DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent",
               RUST_LOG="rapport=info")
    log_path = os.path.join(tmp, "log")
    proc = subprocess.Popen([rapport, "--config", cfg, "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    result: dict = {}
    try:
        deadline = time.time() + 60
        while time.time() < deadline and "fetched calendar" not in open(log_path).read():
            time.sleep(0.2)
        time.sleep(5)  # the parse and expansion after the fetch
        st = proc_status(proc.pid)
        result = {"rss_kib": st.get("VmRSS"), "hwm_kib": st.get("VmHWM")}
        t0 = cpu_ticks(proc.pid)
        time.sleep(idle_s)
        ticks = cpu_ticks(proc.pid) - t0
        result.update(idle_s=idle_s, idle_cpu_ms=ticks * 1000 // os.sysconf("SC_CLK_TCK"),
                      rss_after_idle_kib=proc_status(proc.pid).get("VmRSS"))
    except OSError as e:
        result = {"error": str(e)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        srv.shutdown()
    return result


def report(mach, feeds, correct, results, windows, status, notes, a, steady) -> str:
    L = []
    L.append("# Benchmarks\n")
    L.append("Written by `bench/run.sh` (issue 5); do not edit by hand (notes go in `bench/NOTES.md`).\n")
    la0, la1 = mach["load_start"], mach["load_end"]
    L.append(f"- Date: {mach['date']}; commit `{mach['commit']}`")
    L.append(f"- Machine: {mach['cores']} cores, {mach['cpu']}, {mach['mem']}, Linux {mach['kernel']}; "
             f"load average {la0[0]:.2f} at start, {la1[0]:.2f} at end (other processes share the cores)")
    L.append(f"- Tools: {mach['hyperfine']}, {mach['rustc']}, node {mach['node']}; TZ=UTC")
    L.append(f"- Command: `rapport agenda --ics FEED --from {W0} --to {W1} --json >/dev/null` "
             "(whole process: read, parse, expand, print)")
    L.append("- Time: hyperfine median wall time (n = runs when fewer than 5); CPU = mean user + "
             "system time, shown next to wall-time ratios because it is less disturbed by other "
             "load; memory: peak RSS (`/usr/bin/time -v`); MB = 10^6 bytes")
    L.append("- Feeds: `gen_ics.py --seed 42`; correctness: occurrences starting in the window "
             "vs `--occ-out`, multiset equality")
    if max(la0[0], la1[0]) > (mach["cores"] or 1):
        L.append("- **Busy machine**: the load average was above the core count, so absolute times "
                 "are inflated and noisy; the ratios (measured back to back) less so")
    for name, st in status.items():
        if st != "ok":
            L.append(f"- Peer {name}: {st}")
    for n in notes:
        L.append(f"- {n}")
    L.append("")

    L.append("## rapport against the I/O floor\n")
    L.append("| feed | file | VEVENTs | floor | rapport | rapport/floor | rapport/floor CPU | "
             "µs per event | vs iana-10000 | floor RSS | rapport RSS | RSS − file | correct |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    base = results["iana-10000"].get("rapport")
    for f in FEEDS:
        r, fl, c = results[f].get("rapport"), results[f].get("floor"), correct[f]
        mb = feeds[f]["bytes"] / 1e6
        per_ev = "-" if not r or "error" in r else f"{r['median'] / feeds[f]['vevents'] * 1e6:.1f}"
        over = "-" if not r or "rss_kib" not in r else f"{r['rss_kib'] * 1024 / 1e6 - mb:+.0f} MB"
        ok = ("exact" if c["ok"] else "ERROR" if "error" in c
              else f"MISMATCH −{c['missing']} +{c['extra']}")
        if "truth" in c:
            ok += f" ({c['truth']} occ.)"
        L.append(f"| {f} | {mb:.1f} MB | {feeds[f]['vevents']} | {fmt_t(fl)} | {fmt_t(r)} | "
                 f"{fmt_r(ratio(r, fl))} | {fmt_r(cpu_ratio(r, fl))} | {per_ev} | "
                 f"{fmt_r(ratio(r, base), 2) if f.endswith('-10000') else '-'} | "
                 f"{fmt_mb((fl or {}).get('rss_kib'))} | {fmt_mb((r or {}).get('rss_kib'))} | "
                 f"{over} | {ok} |")
    L.append("")

    def both(x, y):
        w, c = ratio(x, y), cpu_ratio(x, y)
        return "-" if w is None else f"{fmt_r(w, 0)}" + ("" if c is None else f" ({fmt_r(c, 0)})")

    L.append("## rapport against its peers (same run)\n")
    L.append("| feed | rapport | ical.js 2.2.1 | ical.js RSS | ical.js/rapport (CPU) | "
             "python rie 3.8.2 | python RSS | python/rapport (CPU) |")
    L.append("|---|---|---|---|---|---|---|---|")
    for f in FEEDS:
        r, j, p = (results[f].get(k) for k in ("rapport", "icaljs", "python"))
        L.append(f"| {f} | {fmt_t(r)} | {fmt_t(j)} | {fmt_mb((j or {}).get('rss_kib'))} | "
                 f"{both(j, r)} | {fmt_t(p)} | {fmt_mb((p or {}).get('rss_kib'))} | {both(p, r)} |")
    L.append("")

    L.append("## Cost against the window (iana-10000)\n")
    L.append("| window | occurrences listed | rapport |")
    L.append("|---|---|---|")
    for days, occ, row in windows:
        L.append(f"| {days} day{'s' if days > 1 else ''} from 2026-11-27 | {occ if occ is not None else '-'} | {fmt_t(row)} |")
    L.append("")

    daemon = (steady or {}).get("daemon") or {}
    if daemon and "error" not in daemon:
        L.append("## The daemon (`rapport run`, iana-10000 served on 127.0.0.1)\n")
        L.append(f"After its first refresh: RSS {fmt_mb(daemon['rss_kib'])} "
                 f"(peak {fmt_mb(daemon['hwm_kib'])}); then {daemon['idle_cpu_ms']} ms of CPU "
                 f"in {daemon['idle_s']} s with nothing due, RSS {fmt_mb(daemon['rss_after_idle_kib'])}.\n")
    if steady and "error" not in steady and "first_refresh_s" in steady:
        one_shot = results["iana-10000"].get("rapport")
        L.append("## Daemon steady state (iana-10000 served on 127.0.0.1)\n")
        L.append("In-process with `feed::FeedFetcher` and `calendar::parse_calendar_shared` "
                 f"(`bench/steady_state.rs`): keep the next "
                 f"{steady['days_kept']} days' occurrences ({steady['occurrences_kept']}), "
                 f"drop the parse, as the daemon does; median of {steady['rounds']} refreshes.\n")
        L.append("| refresh | time | parses |")
        L.append("|---|---|---|")
        L.append(f"| first (200, parse, expand) | {fmt_s(steady['first_refresh_s'])} | 1 |")
        L.append(f"| unchanged, 304 | {fmt_s(steady['not_modified_s'])} | {steady['not_modified_parses']} |")
        L.append(f"| unchanged, 200 same bytes | {fmt_s(steady['same_bytes_s'])} | {steady['same_bytes_parses']} |")
        L.append(f"| changed (200, parse, expand) | {fmt_s(steady['changed_s'])} | {steady['changed_parses']} |")
        if one_shot and "error" not in one_shot:
            L.append(f"| one-shot `rapport agenda` process, for comparison | {fmt_t(one_shot)} | 1 |")
        L.append("")
        srv = steady.get("rss_server_copies_kib", 0)
        L.append(f"RSS of this bench process minus the test server's two copies of the feed "
                 f"({fmt_mb(srv)}): {fmt_mb(steady['rss_start_kib'] - srv)} at start, "
                 f"{fmt_mb(steady['rss_after_first_kib'] - srv)} after the first refresh, "
                 f"{fmt_mb(steady['rss_end_kib'] - srv)} after all refreshes, "
                 f"{fmt_mb(steady['rss_end_trimmed_kib'] - srv)} after `malloc_trim(0)` "
                 "(freed bodies that glibc keeps; the daemon trims after each load).\n")
    elif steady and "error" in steady:
        L.append(f"## Daemon steady state\n\nFailed: `{steady['error']}`\n")

    L.append("## Targets (issue 5)\n")
    L.append("| target | reached | met |")
    L.append("|---|---|---|")

    def target(name, value, ok):
        L.append(f"| {name} | {value} | {'-' if ok is None else ('yes' if ok else '**no**')} |")

    for f in ("iana-10000", "iana-50000"):
        x = ratio(results[f].get("rapport"), results[f].get("floor"))
        c = cpu_ratio(results[f].get("rapport"), results[f].get("floor"))
        target(f"{f}: wall ≤ 4x floor", fmt_r(x) + ("" if c is None else f" (CPU {fmt_r(c)})"),
               None if x is None else x <= 4)
        r = results[f].get("rapport") or {}
        if "rss_kib" in r:
            over = r["rss_kib"] * 1024 / 1e6 - feeds[f]["bytes"] / 1e6
            target(f"{f}: peak RSS ≤ file + 30 MB", f"{over:+.0f} MB over the file", over <= 30)
    for f in ("windows-10000", "mixed-10000"):
        x = ratio(results[f].get("rapport"), base)
        c = cpu_ratio(results[f].get("rapport"), base)
        target(f"{f}: ≤ 1.3x iana-10000", fmt_r(x, 2) + ("" if c is None else f" (CPU {fmt_r(c, 2)})"),
               None if x is None else x <= 1.3)
    x = ratio(results["iana-10000"].get("python"), base)
    target("iana-10000: ≥ 100x faster than python recurring-ical-events",
           both(results["iana-10000"].get("python"), base), None if x is None else x >= 100)
    x = ratio(results["iana-10000"].get("icaljs"), base)
    target("iana-10000: ≥ 30x faster than ical.js", both(results["iana-10000"].get("icaljs"), base),
           None if x is None else x >= 30)
    r10, r50 = results["iana-10000"].get("rapport"), results["iana-50000"].get("rapport")
    if r10 and r50 and "error" not in r10 and "error" not in r50:
        n50, n10 = feeds["iana-50000"]["vevents"], feeds["iana-10000"]["vevents"]
        per = (r50["median"] / n50) / (r10["median"] / n10)
        cpu = (f" (CPU {(r50['cpu'] / n50) / (r10['cpu'] / n10):.2f}x)"
               if "cpu" in r50 and "cpu" in r10 else "")
        target("linear in feed size: cost per event at 50k vs 10k", f"{per:.2f}x{cpu}", per <= 1.25)
    if steady and "error" not in steady and "first_refresh_s" in steady:
        target("unchanged feed (304, 200 same bytes): no parse",
               f"{steady['not_modified_parses']} + {steady['same_bytes_parses']} parses",
               steady["not_modified_parses"] == 0 and steady["same_bytes_parses"] == 0)
        one = results["iana-10000"].get("rapport")
        if one and "error" not in one:
            x = steady["changed_s"] / one["median"]
            target("changed 10k feed re-expanded in ≤ the one-shot time", f"{fmt_r(x, 2)} of one-shot",
                   x <= 1.0)
    if daemon and "error" not in daemon:
        target("`rapport run` with the 10k feed: RSS < 40 MB after the first refresh",
               f"{fmt_mb(daemon['rss_kib'])} (peak {fmt_mb(daemon['hwm_kib'])})",
               daemon["rss_kib"] * 1024 / 1e6 < 40)
        target(f"`rapport run`: CPU while idle ({daemon['idle_s']} s, nothing due)",
               f"{daemon['idle_cpu_ms']} ms", daemon["idle_cpu_ms"] <= 50)
    target("correct on all five feeds", ", ".join(f"{f} {'exact' if c['ok'] else 'differs'}"
                                                  for f, c in correct.items()),
           all(c["ok"] for c in correct.values()))
    L.append("")

    # The last bench/between.sh run (issue 13), kept as it measured.
    between_md = os.path.join(a.root, "bench", "between.md")
    if os.path.exists(between_md):
        L.append(open(between_md).read().rstrip() + "\n")
    notes_md = os.path.join(a.root, "bench", "NOTES.md")
    if os.path.exists(notes_md):
        L.append(open(notes_md).read().rstrip() + "\n")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
