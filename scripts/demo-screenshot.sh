#!/usr/bin/env bash
# Screenshot of a real notification from `rapport demo`, saved to
# target/demo-notification.png (or the path given as $1).
#
# Needs a running X server and notification server: DISPLAY and
# DBUS_SESSION_BUS_ADDRESS set, as scripts/test.sh sets them up (Xvfb + a
# private dbus-daemon + dunst). Runs `rapport demo`, waits until its prep
# notification is on screen, grabs the whole screen with ImageMagick's
# `import` (installed from Debian when missing), then stops the demo with
# SIGINT (it removes its temporary folder on the way out).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-target/demo-notification.png}
say() { echo "[demo-screenshot] $*" >&2; }

: "${DISPLAY:?DISPLAY is not set: start an X server (scripts/test.sh starts Xvfb)}"
: "${DBUS_SESSION_BUS_ADDRESS:?DBUS_SESSION_BUS_ADDRESS is not set: start a session bus with a notification server (scripts/test.sh does)}"

if ! command -v import >/dev/null 2>&1; then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  say "installing imagemagick (for import)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends imagemagick >/dev/null
fi

cargo build --quiet --bin rapport
mkdir -p "$(dirname "$OUT")"
LOG=$(mktemp /tmp/rapport-demo-screenshot.XXXXXX)
target/debug/rapport demo >"$LOG" 2>&1 &
DEMO=$!
finish() {
  local rc=$?
  if kill -0 "$DEMO" 2>/dev/null; then
    kill -INT "$DEMO" 2>/dev/null || true
    wait "$DEMO" 2>/dev/null || true
  fi
  [ $rc -ne 0 ] && { say "demo output:"; cat "$LOG" >&2; }
  rm -f "$LOG"
  exit $rc
}
trap finish EXIT

# The demo prints each notification as it sends it (about 15 s in).
for _ in $(seq 1200); do
  grep -q "Prep notification" "$LOG" && break
  kill -0 "$DEMO" 2>/dev/null || { say "rapport demo ended before its first notification"; exit 1; }
  sleep 0.1
done
grep -q "Prep notification (also on your screen)" "$LOG" || {
  say "no prep notification reached the notification server"; exit 1; }

# dunst counts a notification before it has drawn it: wait for the count,
# then one more moment for the frame.
if command -v dunstctl >/dev/null 2>&1; then
  for _ in $(seq 100); do
    [ "$(dunstctl count displayed 2>/dev/null || echo 0)" -gt 0 ] && break
    sleep 0.05
  done
fi
sleep 0.5
import -window root "$OUT"
say "saved $OUT"
