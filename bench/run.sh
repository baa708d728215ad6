#!/usr/bin/env bash
# bench/run.sh: rapport against the I/O floor and its peers on generated feeds (issue 5).
#
#   bench/run.sh            full run: feeds, release build, peers, correctness, timing, BENCHMARKS.md
#   bench/run.sh --quick    fewer runs, no python peer (a smoke test of the pipeline)
#
# Generates the feeds with ../shared/bench/gen_ics.py (seed 42) into bench/out/ (gitignored),
# builds rapport in release mode, installs the peers in bench/out/peers/ (skipped, with a line
# saying so, when the registry cannot be reached), checks rapport's occurrences against the
# generator's ground truth (exit 1 on any difference), times everything side by side with
# hyperfine, measures peak RSS with /usr/bin/time -v, and writes BENCHMARKS.md.
# Not part of the test command: timings belong here, never in tests.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The shared material: $RAPPORT_SHARED, else ../shared next to the checkout (or next to its
# parent, for git worktrees).
SHARED="${RAPPORT_SHARED:-$ROOT/../shared}"
[ -f "$SHARED/bench/gen_ics.py" ] || [ -n "${RAPPORT_SHARED:-}" ] || SHARED="$ROOT/../../shared"
GEN="$SHARED/bench/gen_ics.py"
PEERS_SRC="$SHARED/bench/peers"
OUT="$ROOT/bench/out"
PEERS="$OUT/peers"
MODE="${1:-full}"
mkdir -p "$OUT" "$PEERS"

say() { printf '\n== %s\n' "$*" >&2; }
[ -f "$GEN" ] || { echo "bench: gen_ics.py not found in ../shared/bench; set RAPPORT_SHARED to the shared folder" >&2; exit 2; }

# --- tools: hyperfine and GNU time (Debian packages) -------------------------------------
need_pkg() { # need_pkg BINARY PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y "$2" >/dev/null 2>&1 \
        || { $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$2" >/dev/null 2>&1; } \
        || { echo "bench: cannot install $2 (apt-get failed); install it and rerun" >&2; exit 2; }
}
need_pkg hyperfine hyperfine
[ -x /usr/bin/time ] || need_pkg /usr/bin/time time

# --- feeds: regenerated only when missing or when the generator changed ------------------
say "feeds (gen_ics.py, seed 42) in bench/out/"
GEN_SUM="$(sha256sum "$GEN" | cut -d' ' -f1)"
FEEDS="iana-1000 iana-10000 iana-50000 windows-10000 mixed-10000"
for f in $FEEDS; do
    style="${f%-*}"; n="${f#*-}"
    if [ -f "$OUT/$f.ics" ] && [ -f "$OUT/$f.truth.txt" ] && [ "$(cat "$OUT/$f.gensum" 2>/dev/null)" = "$GEN_SUM" ]; then
        echo "  $f.ics up to date" >&2
        continue
    fi
    echo "  generating $f.ics" >&2
    python3 "$GEN" --events "$n" --seed 42 --tz-style "$style" --out "$OUT/$f.ics" \
        --stats "$OUT/$f.stats.json" --occ-out "$OUT/$f.truth.txt"
    echo "$GEN_SUM" >"$OUT/$f.gensum"
done

# --- rapport, release --------------------------------------------------------------------
say "cargo build --release"
STEADY=""
if grep -q '^name = "steady_state"' "$ROOT/Cargo.toml"; then
    (cd "$ROOT" && cargo build --release --quiet --bin rapport --example steady_state)
    STEADY="$ROOT/target/release/examples/steady_state"
else
    (cd "$ROOT" && cargo build --release --quiet --bin rapport)
fi
RAPPORT="$ROOT/target/release/rapport"

# --- peers: floor (rustc -O), ical.js 2.2.1 (npm), recurring-ical-events 3.8.2 (pip) -----
say "peers in bench/out/peers/"
PEER_STATUS="$OUT/peers.status"
: >"$PEER_STATUS"
peer() { echo "$*" >>"$PEER_STATUS"; }

setup_floor() {
    [ "$PEERS/floor" -nt "$PEERS_SRC/floor.rs" ] || rustc -O -o "$PEERS/floor" "$PEERS_SRC/floor.rs"
}
# ical_list.mjs resolves 'ical.js' next to itself, so it runs from the scratch folder.
setup_icaljs() {
    command -v node >/dev/null 2>&1 || return 1
    cp -f "$PEERS_SRC/ical_list.mjs" "$PEERS/ical_list.mjs"
    local have
    have="$(node -p "require('$PEERS/node_modules/ical.js/package.json').version" 2>/dev/null || true)"
    [ "$have" = 2.2.1 ] && return 0
    [ -f "$PEERS/package.json" ] || echo '{"private": true}' >"$PEERS/package.json"
    (cd "$PEERS" && npm install --no-audit --no-fund ical.js@2.2.1 >"$OUT/npm.log" 2>&1)
}
setup_python() {
    local venv="$PEERS/venv"
    "$venv/bin/python" -c 'import importlib.metadata as m, sys
sys.exit(not (m.version("icalendar") == "7.3.2" and m.version("recurring-ical-events") == "3.8.2"))' \
        2>/dev/null && return 0
    python3 -m venv "$venv" >"$OUT/pip.log" 2>&1 || return 1
    "$venv/bin/pip" install --disable-pip-version-check \
        icalendar==7.3.2 recurring-ical-events==3.8.2 >>"$OUT/pip.log" 2>&1
}

if setup_floor; then peer "floor ok"; else peer "floor SKIPPED: rustc -O floor.rs failed"; fi
if setup_icaljs; then peer "icaljs ok"
else peer "icaljs SKIPPED: node missing or npm install ical.js@2.2.1 failed (registry unreachable? see bench/out/npm.log)"; fi
if [ "$MODE" = --quick ]; then peer "python SKIPPED: --quick"
elif setup_python; then peer "python ok"
else peer "python SKIPPED: pip install icalendar==7.3.2 recurring-ical-events==3.8.2 failed (registry unreachable? see bench/out/pip.log)"; fi
sed 's/^/  /' "$PEER_STATUS" >&2

# --- correctness, timing, memory, report ---------------------------------------------------
say "measuring"
exec python3 "$ROOT/bench/bench.py" --root "$ROOT" --out "$OUT" --rapport "$RAPPORT" \
    --peers "$PEERS" --compare "$PEERS_SRC/compare.py" --status "$PEER_STATUS" ${STEADY:+--steady "$STEADY"} $([ "$MODE" = --quick ] && echo --quick)
