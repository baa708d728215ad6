#!/usr/bin/env python3
"""bench.py: the measuring half of bench/run.sh (which prepares feeds, build and peers).

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import occ_lines  # noqa: E402

W0, W1 = "2026-11-27T00:00:00Z", "2026-12-11T00:00:00Z"
FEEDS = ["iana-1000", "iana-10000", "iana-50000", "windows-10000", "mixed-10000"]
ENV = dict(os.environ, TZ="UTC")
# A peer run longer than this (estimated from its 10k median) is skipped on 50k, with a note.
SLOW_PEER_BUDGET_S = 75.0


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
           "min": res["min"], "runs": len(res["times"])}
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


def fmt_mb(kib: int | None) -> str:
    return "-" if kib is None else f"{kib * 1024 / 1e6:.0f} MB"


def ratio(a: dict | None, b: dict | None) -> float | None:
    if not a or not b or "error" in a or "error" in b:
        return None
    return a["median"] / b["median"]


def fmt_r(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}x"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rapport", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--compare", required=True)
    ap.add_argument("--status", required=True)
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
    py_10k = None
    for feed in FEEDS:
        ics = os.path.join(a.out, feed + ".ics")
        n = feeds[feed]["uids"]
        rapport_cmd = [a.rapport, "agenda", "--ics", ics, "--from", W0, "--to", W1, "--json"]
        cmds = {"rapport": (rapport_cmd, fast_runs, 2, False)}
        if have["floor"]:
            cmds["floor"] = ([os.path.join(a.peers, "floor"), ics], fast_runs, 2, False)
        if have["icaljs"]:
            runs = 1 if a.quick or n >= 50000 else (3 if n >= 10000 else 5)
            cmds["icaljs"] = (["node", os.path.join(a.peers, "ical_list.mjs"), ics], runs, 0, True)
        if have["python"]:
            runs = 3 if feed in ("iana-1000", "iana-10000") else 1
            est = py_10k * n / 10000 if py_10k else 0
            if n >= 50000 and est > SLOW_PEER_BUDGET_S:
                notes.append(f"python recurring-ical-events skipped on {feed}: about {est:.0f} s "
                             f"per run (5x its 10k median), over the {SLOW_PEER_BUDGET_S:.0f} s budget")
            else:
                cmds["python"] = ([os.path.join(a.peers, "venv", "bin", "python"),
                                   os.path.join(os.path.dirname(a.compare), "rie_list.py"), ics],
                                  runs, 0, True)
        for tool, (cmd, runs, warmup, wrap) in cmds.items():
            log(f"  {feed:14} {tool:8} ...")
            row = hyperfine(f"{tool}-{feed}", cmd, a.out, runs, warmup, wrap)
            if "error" not in row and not wrap:
                row["rss_kib"] = measure_rss(cmd)
            results[feed][tool] = row
            log(f"  {feed:14} {tool:8} {fmt_t(row):>14}  {fmt_mb(row.get('rss_kib')):>8}"
                + (f"  {row['error']}" if "error" in row else ""))
            if tool == "python" and feed == "iana-10000" and "error" not in row:
                py_10k = row["median"]

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

    mach["load_end"] = os.getloadavg()
    md = report(mach, feeds, correct, results, windows, status, notes, a)
    print(md)
    open(os.path.join(a.root, "BENCHMARKS.md"), "w").write(md)
    json.dump({"machine": mach, "feeds": feeds, "correctness": correct, "results": results,
               "windows": [{"days": d, "occurrences": o, **r} for d, o, r in windows]},
              open(os.path.join(a.out, "results.json"), "w"), indent=1)
    log("wrote BENCHMARKS.md and bench/out/results.json")
    bad = [f for f, c in correct.items() if not c["ok"]]
    if bad:
        log(f"CORRECTNESS MISMATCH on {', '.join(bad)}")
        return 1
    return 0


def report(mach, feeds, correct, results, windows, status, notes, a) -> str:
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
    L.append("- Time: hyperfine median wall time (n = runs when fewer than 5); memory: peak RSS "
             "(`/usr/bin/time -v`); MB = 10^6 bytes")
    L.append("- Feeds: `gen_ics.py --seed 42`; correctness: occurrences starting in the window "
             "vs `--occ-out`, multiset equality")
    for name, st in status.items():
        if st != "ok":
            L.append(f"- Peer {name}: {st}")
    for n in notes:
        L.append(f"- {n}")
    L.append("")

    L.append("## rapport against the I/O floor\n")
    L.append("| feed | file | VEVENTs | floor | rapport | rapport/floor | µs per event | "
             "vs iana-10000 | floor RSS | rapport RSS | RSS − file | correct |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
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
                 f"{fmt_r(ratio(r, fl))} | {per_ev} | "
                 f"{fmt_r(ratio(r, base), 2) if f != 'iana-10000' else '1.00x'} | "
                 f"{fmt_mb((fl or {}).get('rss_kib'))} | {fmt_mb((r or {}).get('rss_kib'))} | "
                 f"{over} | {ok} |")
    L.append("")

    L.append("## rapport against its peers (same run)\n")
    L.append("| feed | rapport | ical.js 2.2.1 | ical.js RSS | ical.js/rapport | "
             "python rie 3.8.2 | python RSS | python/rapport |")
    L.append("|---|---|---|---|---|---|---|---|")
    for f in FEEDS:
        r, j, p = (results[f].get(k) for k in ("rapport", "icaljs", "python"))
        L.append(f"| {f} | {fmt_t(r)} | {fmt_t(j)} | {fmt_mb((j or {}).get('rss_kib'))} | "
                 f"{fmt_r(ratio(j, r), 0)} | {fmt_t(p)} | {fmt_mb((p or {}).get('rss_kib'))} | "
                 f"{fmt_r(ratio(p, r), 0)} |")
    L.append("")

    L.append("## Cost against the window (iana-10000)\n")
    L.append("| window | occurrences listed | rapport |")
    L.append("|---|---|---|")
    for days, occ, row in windows:
        L.append(f"| {days} days from 2026-11-27 | {occ if occ is not None else '-'} | {fmt_t(row)} |")
    L.append("")

    L.append("## Targets (issue 5)\n")
    L.append("| target | reached | met |")
    L.append("|---|---|---|")

    def target(name, value, ok):
        L.append(f"| {name} | {value} | {'-' if ok is None else ('yes' if ok else '**no**')} |")

    for f in ("iana-10000", "iana-50000"):
        x = ratio(results[f].get("rapport"), results[f].get("floor"))
        target(f"{f}: wall ≤ 4x floor", fmt_r(x), None if x is None else x <= 4)
        r = results[f].get("rapport") or {}
        if "rss_kib" in r:
            over = r["rss_kib"] * 1024 / 1e6 - feeds[f]["bytes"] / 1e6
            target(f"{f}: peak RSS ≤ file + 30 MB", f"file {over:+.0f} MB", over <= 30)
    for f in ("windows-10000", "mixed-10000"):
        x = ratio(results[f].get("rapport"), base)
        target(f"{f}: ≤ 1.3x iana-10000", fmt_r(x, 2), None if x is None else x <= 1.3)
    x = ratio(results["iana-10000"].get("python"), base)
    target("iana-10000: ≥ 100x faster than python recurring-ical-events", fmt_r(x, 0),
           None if x is None else x >= 100)
    x = ratio(results["iana-10000"].get("icaljs"), base)
    target("iana-10000: ≥ 30x faster than ical.js", fmt_r(x, 0), None if x is None else x >= 30)
    r10, r50 = results["iana-10000"].get("rapport"), results["iana-50000"].get("rapport")
    if r10 and r50 and "error" not in r10 and "error" not in r50:
        per = (r50["median"] / feeds["iana-50000"]["vevents"]) / (r10["median"] / feeds["iana-10000"]["vevents"])
        target("linear in feed size: cost per event at 50k vs 10k", f"{per:.2f}x", per <= 1.25)
    target("correct on all five feeds", ", ".join(f"{f} {'exact' if c['ok'] else 'differs'}"
                                                  for f, c in correct.items()),
           all(c["ok"] for c in correct.values()))
    L.append("")

    notes_md = os.path.join(a.root, "bench", "NOTES.md")
    if os.path.exists(notes_md):
        L.append(open(notes_md).read().rstrip() + "\n")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
