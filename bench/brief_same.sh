#!/usr/bin/env bash
# bench/brief_same.sh: do two builds of rapport write the same briefs, byte for byte?
#
#   bench/brief_same.sh OLD_BINARY NEW_BINARY
#
# Needs the home of bench/between.sh (run it once) and faketime. Two people folders are
# compared: the bench home's (everyone matched by address) and a copy in which every other
# note (one per name) has no address and the name the feed gives it (CN, often "Last, First"
# and folded across lines), so those people are matched by name only. For each, at two fixed
# instants and in two zones, `rapport brief` of the next meeting and of meetings found by
# title or attendee, as text and as JSON, plus `due --json`, `people` and `today --json`; stdout,
# stderr and the exit code. Prints each difference and exits 1 if there was any.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OLD="$(realpath "${1:?usage: bench/brief_same.sh OLD_BINARY NEW_BINARY}")"
NEW="$(realpath "${2:?usage: bench/brief_same.sh OLD_BINARY NEW_BINARY}")"
BENCH="$ROOT/bench/out/between"
OUT="$ROOT/bench/out/brief-same"
command -v faketime >/dev/null || { echo "brief_same: faketime is needed (apt-get install faketime)" >&2; exit 2; }
[ -f "$BENCH/home/config/config.toml" ] || { echo "brief_same: run bench/between.sh first" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT/email" "$OUT/name"
cp -r "$BENCH/home/people" "$OUT/email/people"
cp -r "$BENCH/home/people" "$OUT/name/people"
# Every other note: no address, and the name the feed gives that address.
python3 - "$BENCH/iana-10000.ics" "$OUT/name/people" <<'EOF'
import glob, re, sys, unicodedata
feed, people = sys.argv[1], sys.argv[2]
text = re.sub(r"\r?\n[ \t]", "", open(feed, encoding="utf-8").read())
cn = {}
for m in re.finditer(r'^(?:ATTENDEE|ORGANIZER)[^\n]*?;CN=("[^"]*"|[^;:]*)[^\n]*?:mailto:(\S+)', text, re.M | re.I):
    cn.setdefault(m.group(2).lower(), m.group(1).strip('"'))
def key(name):  # roughly rapport's normalize_name: one note per name, or none matches
    if name.count(",") == 1:
        name = " ".join(reversed(name.split(",")))
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", name.lower()))
used = set()
changed = 0
for i, path in enumerate(sorted(glob.glob(f"{people}/*.md"))):
    note = open(path, encoding="utf-8").read()
    m = re.search(r"^emails: \[(.*)\]$", note, re.M)
    if i % 2 or not m or m.group(1).lower() not in cn or key(cn[m.group(1).lower()]) in used:
        continue
    name = cn[m.group(1).lower()].replace('"', "")
    used.add(key(name))
    note = note.replace(m.group(0), "emails: []")
    note = re.sub(r"^name: .*$", lambda _: f'name: "{name}"', note, count=1, flags=re.M)
    open(path, "w", encoding="utf-8").write(note)
    changed += 1
print(f"brief_same: {changed} notes matched by name only", file=sys.stderr)
EOF
for kind in email name; do
    sed -e "s|^dir = .*|dir = \"$OUT/$kind/people\"|" "$BENCH/home/config/config.toml" >"$OUT/$kind/config.toml"
done

export XDG_STATE_HOME="$OUT/state" XDG_CACHE_HOME="$OUT/cache" XDG_DATA_HOME="$OUT/data"
export XDG_RUNTIME_DIR="$OUT/run" DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bench-bus"
mkdir -p "$XDG_RUNTIME_DIR"
QUERIES=(next "Board meeting" "Retro" "Customer call" "Incident review" "Weekly sync" "Design critique"
    "Hiring committee" "Stand-up" "Budget sign-off" "Onboarding" "ingrid.bakker" "Mensah" "Παπαδόπουλος")
runs=0
diffs=0
run() { # run BINARY OUTFILE ARGS...: stdout, then stderr and the exit code
    local bin="$1" out="$2"
    shift 2
    local rc=0
    faketime "$AT" "$bin" "$@" >"$out" 2>"$out.err" || rc=$?
    { echo "--- stderr, exit $rc"; cat "$out.err"; } >>"$out"
}
for kind in email name; do
    export RAPPORT_CONFIG="$OUT/$kind/config.toml"
    for AT in "2026-12-05 07:30:00" "2026-11-30 16:10:00"; do
        for TZ in UTC Europe/Amsterdam; do
            export TZ
            cases=()
            for q in "${QUERIES[@]}"; do
                cases+=("brief|$q" "brief|$q|--json")
            done
            cases+=("due|--json" "people" "today|--json")
            for c in "${cases[@]}"; do
                IFS='|' read -r -a args <<<"$c"
                run "$OLD" "$OUT/old.txt" "${args[@]}"
                run "$NEW" "$OUT/new.txt" "${args[@]}"
                runs=$((runs + 1))
                if ! cmp -s "$OUT/old.txt" "$OUT/new.txt"; then
                    diffs=$((diffs + 1))
                    echo "DIFFERENT: $kind notes, $AT $TZ: rapport ${args[*]}"
                    diff "$OUT/old.txt" "$OUT/new.txt" | head -20
                fi
            done
        done
    done
done
echo "brief_same: $runs outputs compared, $diffs different"
[ "$diffs" -eq 0 ]
