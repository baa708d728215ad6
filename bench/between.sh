#!/usr/bin/env bash
# bench/between.sh: the between-meetings commands against `agenda --json` (issue 13.6).
#
#   bench/between.sh [RUNS]     (default 5 runs per command)
#
# 2,000 notes (addresses taken from the 10k-event bench feed, a third with a cadence, every
# note with Log entries and follow-ups) and the iana-10000 feed of ../shared/bench/gen_ics.py
# (seed 42) as a local file. Times, side by side in one hyperfine run on the same machine:
#   rapport agenda --json over the year `due` reads (history 1y back to 31 days ahead),
#   rapport due, rapport people, rapport today, and rapport brief (text and --json: the next
#   meeting's people, their last contacts over the same year).
# Then the daemon (`rapport run`, no notification server) with the digest due at once: its
# RSS (VmRSS and peak VmHWM from /proc) after the first refresh and the digest; and with the
# digest off, after the first refresh.
# Prints a section for BENCHMARKS.md (and puts it there and in bench/between.md); numbers are
# only what this run measured.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${RAPPORT_SHARED:-$ROOT/../shared}"
[ -f "$SHARED/bench/gen_ics.py" ] || [ -n "${RAPPORT_SHARED:-}" ] || SHARED="$ROOT/../../shared"
RUNS="${1:-5}"
OUT="$ROOT/bench/out/between"
BIN="$ROOT/target/release/rapport"
mkdir -p "$OUT"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
# Always built: a stale binary would be measured silently.
(cd "$ROOT" && cargo build --release >&2)

FEED="$OUT/iana-10000.ics"
[ -f "$FEED" ] || python3 "$SHARED/bench/gen_ics.py" --events 10000 --seed 42 --tz-style iana --out "$FEED"

HOME_DIR="$OUT/home"
rm -rf "$HOME_DIR"
mkdir -p "$HOME_DIR/people" "$HOME_DIR/config"
python3 - "$FEED" "$HOME_DIR/people" <<'EOF'
import re, sys, random
feed, people = sys.argv[1], sys.argv[2]
emails = sorted(set(re.findall(r"mailto:([^\s;:]+@[^\s;:]+)", open(feed, encoding="utf-8").read())))
random.seed(42)
for i in range(2000):
    email = emails[i % len(emails)] if i < len(emails) else f"nobody{i}@example.net"
    name = email.split("@")[0].replace(".", " ").title()
    fm = [f"name: {name} {i}", f"emails: [{email}]", "tags: [team]" if i % 5 == 0 else "tags: [client]"]
    if i % 3 == 0:
        fm.append(f"cadence: {random.choice(['2w', '3w', '1m', '2m'])}")
    if i % 7 == 0:
        fm.append(f"birthday: --{random.randint(1,12):02d}-{random.randint(1,28):02d}")
    body = [
        "Works on the data platform; two kids.",
        "## Interests", "- Cycling", "- Chess",
        "## Follow-ups",
        f"- [ ] Send the report 📅 2026-{random.randint(1,12):02d}-{random.randint(1,28):02d}",
        f"- [ ] Ask about the trip 🛫 2026-{random.randint(1,12):02d}-{random.randint(1,28):02d}",
        "- [x] Sent the deck ✅ 2026-10-12",
        "## Log",
    ] + [f"- 2026-{m:02d}-{random.randint(1,28):02d} Met about the roadmap" for m in range(1, 11, 3)]
    open(f"{people}/p{i:04d}.md", "w", encoding="utf-8").write("---\n" + "\n".join(fm) + "\n---\n" + "\n".join(body) + "\n")
EOF

NOW_HM="$(date -u +%H:%M)"
cat >"$HOME_DIR/config/config.toml" <<EOF
[me]
name = "Bench"
emails = ["me@example.org"]

[[calendar]]
name = "work"
path = "$FEED"

[people]
dir = "$HOME_DIR/people"

[people.cadence]
"#team" = "2w"

[digest]
at = "$NOW_HM"
until = "23:59"
days = "daily"
EOF
chmod 600 "$HOME_DIR/config/config.toml"

export TZ=UTC RAPPORT_CONFIG="$HOME_DIR/config/config.toml"
export XDG_STATE_HOME="$HOME_DIR/state" XDG_CACHE_HOME="$HOME_DIR/cache" XDG_DATA_HOME="$HOME_DIR/data"
export XDG_RUNTIME_DIR="$HOME_DIR/run" DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bench-bus"
mkdir -p "$XDG_RUNTIME_DIR"
FROM="$(date -u -d '-1 year' +%Y-%m-%d)"
TO="$(date -u -d '+31 days' +%Y-%m-%d)"

LOAD_START="$(cut -d' ' -f1 /proc/loadavg)"
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$OUT/times.md" --export-json "$OUT/times.json" \
    -n "agenda --json (a year)" "$BIN agenda --json --from $FROM --to $TO >/dev/null" \
    -n "due" "$BIN due >/dev/null" \
    -n "people" "$BIN people >/dev/null" \
    -n "today" "$BIN today >/dev/null" \
    -n "brief" "$BIN brief >/dev/null" \
    -n "brief --json" "$BIN brief --json >/dev/null" >&2

# The daemon (`rapport -v run`, state cleared): RSS (kB) once its log says WAIT_FOR, plus a second.
daemon_rss() { # daemon_rss LOG WAIT_FOR -> "VmRSS VmHWM"
    local log="$1" pid
    rm -rf "$XDG_STATE_HOME"
    "$BIN" -v run >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
        grep -q "$2" "$log" && break
        sleep 0.1
    done
    sleep 1
    echo "$(awk '/VmRSS/ {print $2}' /proc/$pid/status) $(awk '/VmHWM/ {print $2}' /proc/$pid/status)"
    kill -TERM "$pid"; wait "$pid" || true
    grep -q "$2" "$log" || { echo "bench: the daemon never logged '$2':" >&2; cat "$log" >&2; exit 1; }
}
# With the digest due now: after the first refresh and the digest. Then, for comparison, with
# the digest off: after the first refresh.
LOG="$OUT/daemon.log"
ON="$(daemon_rss "$LOG" "composed the digest for")"
read -r RSS HWM <<<"$ON"
sed -i 's/^\[digest\]$/[digest]\nenabled = false/' "$RAPPORT_CONFIG"
OFF="$(daemon_rss "$OUT/daemon-no-digest.log" " occurrences from ")"
read -r RSS_OFF HWM_OFF <<<"$OFF"

# The section for BENCHMARKS.md: printed, kept in bench/between.md (bench/run.sh appends it when
# it rewrites BENCHMARKS.md) and put in BENCHMARKS.md now, in place of the previous one.
python3 - "$ROOT" "$OUT/times.json" "$RSS" "$HWM" "$LOG" "$RSS_OFF" "$HWM_OFF" "$RUNS" "$LOAD_START" <<'EOF'
import json, os, re, sys
root, times, rss, hwm, log, rss_off, hwm_off, runs, load_start = sys.argv[1:]
sys.path.insert(0, os.path.join(root, "bench"))
from bench import machine
m = machine(root)
t = {r["command"]: r for r in json.load(open(times))["results"]}
base = t["agenda --json (a year)"]["mean"]
mb = lambda kb: int(kb) * 1024 / 1e6
ratio = lambda name: t[name]["mean"] / base
composed = [l for l in open(log) if "composed the digest for" in l][-1]
compose_ms = re.search(r"in (\d+) ms", composed).group(1)
L = ["## Between meetings (issue 13, `bench/between.sh`)", ""]
L.append(f"- Date: {m['date']}; commit `{m['commit']}`")
L.append(f"- Machine: {m['cores']} cores, {m['cpu']}, {m['mem']}, Linux {m['kernel']}; load average "
         f"{float(load_start):.2f} at start, {os.getloadavg()[0]:.2f} at end (other engineers build on "
         "the same cores: compare the ratios, measured back to back in one hyperfine run)")
L.append(f"- Tools: {m['hyperfine']}, {m['rustc']}; TZ=UTC; {runs} runs per command after a warm-up")
L.append("- Data: 2,000 notes (a third with a cadence, `#team` = 2w for a fifth, Log entries, a done "
         "task and two open follow-ups each; addresses from the feed) and the iana-10000 feed "
         "(`gen_ics.py --seed 42`, 17 MB) as a local file; `[people] history` = 1y")
L.append("- `agenda --json` over the same year: from a year ago to 31 days ahead; MB = 10^6 bytes")
L.append("")
L.append("| command | mean | ± σ | vs `agenda --json` |")
L.append("|---|---|---|---|")
for name, r in t.items():
    L.append(f"| `rapport {name}` | {r['mean']*1000:.0f} ms | {r['stddev']*1000:.0f} ms | {ratio(name):.2f}x |")
L.append("")
L.append(f"`rapport run` (no notification server), RSS one second after the first refresh and the "
         f"digest (composed off the loop in {compose_ms} ms, after the refresh): {mb(rss):.1f} MB (peak "
         f"{mb(hwm):.1f} MB, the digest's parse of a year). With the digest off, after the first "
         f"refresh: {mb(rss_off):.1f} MB (peak {mb(hwm_off):.1f} MB).")
L.append("")
L.append("| target (issue 13) | reached | met |")
L.append("|---|---|---|")
yes = lambda ok: "yes" if ok else "**no**"
for name in ("due", "people"):
    L.append(f"| `rapport {name}` ≤ 1.5x `agenda --json` over the year | {ratio(name):.2f}x | {yes(ratio(name) <= 1.5)} |")
L.append(f"| daemon RSS after the first refresh < 30 MB, digest on | {mb(rss):.1f} MB | {yes(mb(rss) < 30)} |")
section = "\n".join(L) + "\n"
print(section)
open(os.path.join(root, "bench", "between.md"), "w").write(section)
path = os.path.join(root, "BENCHMARKS.md")
text = open(path).read()
start = text.find("## Between meetings (issue 13")
if start >= 0:
    end = text.find("\n## ", start + 1)
    text = text[:start] + (text[end + 1:] if end >= 0 else "")
notes = text.find("## Profile notes")
text = text[:notes] + section + "\n" + text[notes:] if notes >= 0 else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
EOF
