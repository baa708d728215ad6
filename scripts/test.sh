#!/usr/bin/env bash
# The one command that runs all of rapport's tests, on a developer machine or a
# clean CI machine (as root). It installs what the tests need when missing,
# starts a private notification stack (Xvfb + dbus-daemon + dunst) and, when a
# test wants one, a Radicale CalDAV server; runs fmt, clippy and every test;
# and stops everything it started, by PID, on exit.
#
# Environment knobs:
#   RAPPORT_TEST_RADICALE=0   do not install/start Radicale (tests that want it skip);
#                             =1 start it even when no test mentions it; unset: when one does
#                             (it costs ~8 s of pip install on a clean machine, cached in target/)
#   RAPPORT_TEST_KEEP=1       keep the temporary folder (logs) after the run
#   RAPPORT_TEST_SKIP_LINT=1  skip fmt and clippy (quick local runs)
#   RAPPORT_TEST_SCREENSHOT=0 skip the screenshot of `rapport demo` (target/demo-notification.png)
#   extra arguments are passed to `cargo test` (e.g. scripts/test.sh notify)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s)
say() { echo "[test.sh +$(($(date +%s) - T0))s] $*" >&2; }

# ---------- packages (Debian). dbus-daemon is usually present; install the rest once.
need=()
for pair in dbus-daemon:dbus dbus-send:dbus Xvfb:xvfb dunst:dunst dunstctl:dunst notify-send:libnotify-bin faketime:faketime; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    say "missing packages: ${need[*]} (run as root or install them)"; exit 1
  fi
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  say "installing: $(printf '%s\n' "${need[@]}" | sort -u | tr '\n' ' ')"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi

WORK=$(mktemp -d /tmp/rapport-test.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ "${RAPPORT_TEST_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    say "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------- Xvfb: picks a free display itself and writes its number to fd 9 when ready
Xvfb -displayfd 9 -screen 0 1280x800x24 -nolisten tcp 9>"$WORK/display" >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$WORK/display" ] && break; sleep 0.05; done
[ -s "$WORK/display" ] || { say "Xvfb did not start: $(cat "$WORK/xvfb.log")"; exit 1; }
export DISPLAY=":$(head -1 "$WORK/display")"

# ---------- a private session bus WITHOUT service activation, so that a missing
# notification server answers ServiceUnknown instead of auto-starting one.
cat >"$WORK/bus.conf" <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$WORK/bus.conf" --fork --nopidfile \
  --print-address=3 --print-pid=4 3>"$WORK/bus.addr" 4>"$WORK/bus.pid" 2>"$WORK/bus.log"
PIDS+=("$(head -1 "$WORK/bus.pid")")
export DBUS_SESSION_BUS_ADDRESS="$(head -1 "$WORK/bus.addr")"
# Tests that need a second, empty bus (no notification server) start their own
# dbus-daemon from this config file.
export RAPPORT_TEST_BUS_CONFIG="$WORK/bus.conf"

# ---------- dunst: keeps history, no stacking of duplicates, and a fake dmenu so
# that tests can invoke any action: `dunstctl context` pipes one line per action
# ("#Label (summary) [ID,KEY]"); the fake picks the line named in the file
# $RAPPORT_TEST_DMENU_PICK (read from dunst's environment, so tests that start
# their own dunst use their own file): "ID,KEY" picks exactly that action,
# "KEY" the first action with that key.
export RAPPORT_TEST_DMENU_PICK="$WORK/dmenu-pick"
cat >"$WORK/fake-dmenu" <<'DMENU'
#!/bin/sh
in=$(cat)
pick=$(cat "$RAPPORT_TEST_DMENU_PICK" 2>/dev/null)
[ -n "$pick" ] || exit 0
case "$pick" in
  *,*) pat="[$pick]" ;;
  *) pat=",$pick]" ;;
esac
printf '%s\n' "$in" | grep -m1 -F -- "$pat"
exit 0
DMENU
chmod +x "$WORK/fake-dmenu"
# Tests that need a notification server of their own start dunst with this file.
export RAPPORT_TEST_DUNSTRC="$WORK/dunstrc"
cat >"$WORK/dunstrc" <<DUNSTRC
[global]
    history_length = 1000
    sticky_history = yes
    stack_duplicates = false
    notification_limit = 0
    markup = full
    format = "<b>%s</b>\n%b"
    dmenu = $WORK/fake-dmenu
    browser = /bin/true
    idle_threshold = 0
[urgency_low]
    timeout = 60
[urgency_normal]
    timeout = 60
[urgency_critical]
    timeout = 0
DUNSTRC
XDG_CONFIG_HOME="$WORK/xdg-config" dunst -config "$WORK/dunstrc" >"$WORK/dunst.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null | grep -q true && break
  sleep 0.05
done
dunstctl is-paused >/dev/null 2>&1 || { say "dunst did not start: $(cat "$WORK/dunst.log")"; exit 1; }
export RAPPORT_TEST_NOTIFY=1
say "notification stack up: DISPLAY=$DISPLAY bus=$DBUS_SESSION_BUS_ADDRESS"

# ---------- Radicale (CalDAV), only when a test uses it; the venv is cached under target/.
want_radicale=${RAPPORT_TEST_RADICALE:-auto}
if [ "$want_radicale" = auto ]; then
  want_radicale=0
  grep -rqs RAPPORT_TEST_RADICALE_URL src tests && want_radicale=1
fi
if [ "$want_radicale" = 1 ]; then
  VENV="$ROOT/target/test-venv"
  if [ ! -x "$VENV/bin/radicale" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check 'radicale==3.9.0'
  fi
  RPORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  printf 'rapport:secret\n' >"$WORK/radicale-users"
  cat >"$WORK/radicale.conf" <<RCONF
[server]
hosts = 127.0.0.1:$RPORT
[auth]
type = htpasswd
htpasswd_filename = $WORK/radicale-users
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = $WORK/radicale-collections
[web]
type = none
[logging]
level = warning
RCONF
  "$VENV/bin/python" -m radicale --config "$WORK/radicale.conf" >"$WORK/radicale.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$RPORT/" && break; sleep 0.05; done
  curl -sf -u rapport:secret -X MKCALENDAR "http://127.0.0.1:$RPORT/rapport/cal/" -o /dev/null
  export RAPPORT_TEST_RADICALE_URL="http://rapport:secret@127.0.0.1:$RPORT/rapport/cal/"
  say "radicale up: $RAPPORT_TEST_RADICALE_URL"
fi

# ---------- the checks
# The parts import one way (ARCHITECTURE.md): no circle, no upward import, at most 10 modules.
say "module graph"
python3 scripts/module-graph.py --layers >"$WORK/module-graph.txt" || { cat "$WORK/module-graph.txt" >&2; exit 1; }
if [ "${RAPPORT_TEST_SKIP_LINT:-0}" != 1 ]; then
  say "cargo fmt --check"
  cargo fmt --all -- --check
  say "cargo clippy"
  cargo clippy --all-targets --quiet -- -D warnings
fi
say "cargo test"
cargo test --quiet "$@"
# A real notification from `rapport demo`, on the Xvfb screen, for a look by eye.
if [ "${RAPPORT_TEST_SCREENSHOT:-1}" != 0 ] && [ $# -eq 0 ] && [ -x scripts/demo-screenshot.sh ]; then
  say "screenshot of rapport demo"
  scripts/demo-screenshot.sh target/demo-notification.png
fi
say "all passed"
