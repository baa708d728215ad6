#!/usr/bin/env bash
# Runs each fuzz target for a fixed time (issue 6), niced so builds keep priority.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      default: 600 s, every target
#   JOBS=2 scripts/fuzz.sh 600                            two targets at a time
#
# Seeds each target's corpus (fuzz/corpus/<target>, not committed) from ../shared/corpus,
# tests/data and fuzz/seeds, then runs `cargo fuzz run -s none` (works on stable Rust).
# Crashes, hangs and out-of-memory inputs land in fuzz/artifacts/<target>/; keep each one as
# tests/data/fuzz-regressions/<target>/<name> so tests/hardening.rs replays it in every test run.
# A summary (target, seconds, executions, coverage, findings) goes to fuzz/runs.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${SHARED_CORPUS:-$root/../shared/corpus}
[ -d "$shared" ] || shared=/work/shared/corpus
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ics tz rrule notes_parse notes_edit)
jobs=${JOBS:-1}

command -v cargo-fuzz >/dev/null || { echo "install cargo-fuzz: cargo install --locked cargo-fuzz" >&2; exit 1; }

seed() {
  local t=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  cp -n tests/data/fuzz-regressions/"$t"/* "$dir"/ 2>/dev/null || true
  rm -f "$dir"/.gitkeep
  case $t in
    ics)
      find "$shared" tests/data -type f \( -name '*.ics' -o -path '*libical/*fuzz*' -o -name 'poc-*' \) \
        -size -2M -print0 | while IFS= read -r -d '' f; do
          cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done ;;
    tz)
      cp -n fuzz/seeds/tz/* "$dir"/
      # Each VTIMEZONE of the corpora: first line its TZID, then its body.
      find "$shared" tests/data -type f -name '*.ics' -size -2M -print0 | xargs -0 awk -v out="$dir" '
        /^BEGIN:VTIMEZONE/ { inz=1; body=""; id=""; next }
        inz && /^TZID/ { sub(/\r$/, ""); id=substr($0, index($0, ":")+1); next }
        inz && /^END:VTIMEZONE/ { inz=0; n++; f=out "/vtz_" n; printf "%s\n%s", id, body > f; close(f); next }
        inz { body = body $0 "\n" }' ;;
    rrule)
      cp -n fuzz/seeds/rrule/* "$dir"/
      # Each RRULE of the corpora with the DTSTART of its component: "RULE\nDTSTART".
      find "$shared" tests/data -type f \( -name '*.ics' -o -name 'recur.txt' \) -size -2M -print0 |
        xargs -0 awk -v out="$dir" '
        { sub(/\r$/, "") }
        /^ :/ { $0 = prev substr($0, 2) }
        { prev = $0 }
        /^DTSTART/ { ds = substr($0, index($0, ":")+1) }
        /^RRULE/ { r = substr($0, index($0, ":")+1); if (r != "") pending = r }
        /^END:VEVENT/ && pending != "" { n++; f = out "/rr_" n; printf "%s\n%s\n", pending, ds > f; close(f); pending="" }' ;;
    notes_parse|notes_edit)
      cp -n fuzz/seeds/notes/* tests/data/people/*.md "$dir"/ 2>/dev/null || true ;;
  esac
}

run() {
  local t=$1 log=fuzz/logs/$1.log
  seed "$t"
  mkdir -p fuzz/logs fuzz/artifacts/"$t"
  local start=$(date +%s)
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GB is an out-of-memory.
  ( cd fuzz && nice -n 19 cargo fuzz run -s none "$t" "corpus/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1 ) >"$log" 2>&1 || true
  local end=$(date +%s)
  local execs cov found
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  found=$(ls fuzz/artifacts/"$t" | wc -l)
  echo "$(date -u +%FT%TZ) target=$t seconds=$((end - start)) execs=${execs:-?} cov=${cov:-?} artifacts=$found" |
    tee -a fuzz/runs.log
}

(cd fuzz && nice -n 19 cargo fuzz build -s none)
running=0
for t in "${targets[@]}"; do
  run "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
