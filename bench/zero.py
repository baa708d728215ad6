#!/usr/bin/env python3
"""bench/zero.py: the issue-14 targets, whole processes of the release binary.

    cargo build --release && python3 bench/zero.py [--runs 5]

1. `rapport import` of 10,000 vCards (generated here, deterministic: 3.0 and 2.1
   QUOTED-PRINTABLE cards, one to three emails, phones, org, title, birthdays, related names)
   into an empty people folder (target: < 2 s), and the same file again into the full folder
   (nothing to change).
2. `rapport people suggest --json` over a year of the 10k bench feed (../shared/bench/gen_ics.py
   --events 10000 --seed 42) against `rapport agenda --json` over the same window (target:
   <= 1.5x).

Median wall time of --runs runs each (each import run starts from an empty folder). Prints a
Markdown table for bench/NOTES.md. Not part of the test command: timings belong here.
"""

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "rapport")
OUT = os.path.join(ROOT, "bench", "out")

FIRST = ["Ana", "Bob", "Carla", "Dirk", "Eva", "Femke", "Jürgen", "Zoë", "Hans", "Ingrid",
         "Joost", "Kim", "Lotte", "Mehmet", "Noor", "Olga", "Pieter", "René", "Sanne", "Tomasz"]
LAST = ["Lima", "Stone", "Bakker", "de Vries", "Müller", "Ångström", "Jansen", "Visser",
        "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Hendriks", "Dekker", "Brouwer"]
ORGS = ["Acme", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne, Inc."]


def qp(text):
    return "".join(c if c.isascii() and c.isalnum() or c == " " else
                   "".join(f"={b:02X}" for b in c.encode()) for c in text)


def cards(n, seed=42):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        name = f"{first} {last} {i}"
        local = f"{first.lower()}.{i}"
        emails = [f"{local}@{rnd.choice(['acme.example', 'globex.example', 'mail.example'])}"]
        emails += [f"{local}.{k}@home.example" for k in range(rnd.randint(0, 2))]
        if i % 10 == 0:
            lines = ["BEGIN:VCARD", "VERSION:2.1",
                     f"FN;ENCODING=QUOTED-PRINTABLE;CHARSET=utf-8:{qp(name)}"]
            lines += [f"EMAIL;PREF;INTERNET:{e}" for e in emails]
            lines += [f"TEL;WORK;VOICE:+31 20 {i:07d}", "END:VCARD"]
        else:
            lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{last};{first};;;", f"FN:{name}"]
            lines += [f"EMAIL;type=INTERNET:{e}" for e in emails]
            lines += [f"TEL;type=CELL:+1 555 {i:07d}",
                      f"ORG:{rnd.choice(ORGS).replace(',', chr(92) + ',')};R&D",
                      "TITLE:Engineer"]
            if i % 3 == 0:
                lines.append(f"BDAY:19{rnd.randint(50, 99)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}")
            if i % 7 == 0:
                lines += ["item1.X-ABRELATEDNAMES:Sam", "item1.X-ABLabel:_$!<Child>!$_"]
            lines.append("END:VCARD")
        out.append("\r\n".join(lines) + "\r\n")
    return "".join(out)


def env_for(home):
    env = dict(os.environ)
    env.update({
        "HOME": home, "XDG_CONFIG_HOME": f"{home}/c", "XDG_STATE_HOME": f"{home}/s",
        "XDG_CACHE_HOME": f"{home}/ca", "XDG_DATA_HOME": f"{home}/d", "TZ": "UTC",
    })
    env.pop("RAPPORT_CONFIG", None)
    return env


def timed(args, env, prepare=None, runs=5):
    times = []
    for _ in range(runs):
        if prepare:
            prepare()
        t = time.perf_counter()
        p = subprocess.run([BIN] + args, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t)
        if p.returncode not in (0,):
            sys.exit(f"{args}: exit {p.returncode}: {p.stderr.decode()[:500]}")
    return statistics.median(times), times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    vcf = os.path.join(OUT, "cards-10000.vcf")
    with open(vcf, "w", encoding="utf-8", newline="") as f:
        f.write(cards(10000))
    feed = os.path.join(OUT, "iana-10000.ics")
    if not os.path.exists(feed):
        shared = os.environ.get("RAPPORT_SHARED") or next(
            p for p in [os.path.join(ROOT, "..", "shared"), os.path.join(ROOT, "..", "..", "shared")]
            if os.path.exists(os.path.join(p, "bench", "gen_ics.py")))
        subprocess.run([sys.executable, os.path.join(shared, "bench", "gen_ics.py"), "--events",
                        "10000", "--seed", "42", "--tz-style", "iana", "--out", feed], check=True)

    home = tempfile.mkdtemp(prefix="rapport-zero-")
    env = env_for(home)
    people = os.path.join(home, "people")
    os.makedirs(f"{home}/c/rapport")
    with open(f"{home}/c/rapport/config.toml", "w") as f:
        f.write(f'[me]\nname = "Me Myself"\nemails = ["me@example.org"]\n\n'
                f'[people]\ndir = "{people}"\n\n[[calendar]]\nname = "bench"\npath = "{feed}"\n')

    def empty_folder():
        shutil.rmtree(people, ignore_errors=True)
        shutil.rmtree(f"{home}/s", ignore_errors=True)
        os.makedirs(people)

    rows = []
    med, _ = timed(["import", vcf], env, prepare=empty_folder, runs=a.runs)
    notes = len(os.listdir(people))
    rows.append((f"`import` 10,000 vCards into an empty folder ({notes} notes created)", med, "< 2 s"))
    med, _ = timed(["import", vcf], env, runs=a.runs)
    rows.append(("`import` the same file again (0 changed)", med, "-"))
    empty_folder()

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    frm = (now - dt.timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    to = (now + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    agenda, _ = timed(["agenda", "--json", "--from", frm, "--to", to], env, runs=a.runs)
    suggest, _ = timed(["people", "suggest", "--json", "--since", "12m", "--limit", "0"], env,
                       runs=a.runs)
    rows.append((f"`agenda --json` {frm[:10]} to {to[:10]} (iana-10000)", agenda, "-"))
    rows.append(("`people suggest --json --since 12m` (same window)", suggest,
                 f"<= 1.5x agenda: {suggest / agenda:.2f}x"))
    shutil.rmtree(home, ignore_errors=True)

    load = os.getloadavg()[0]
    print(f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, release build, "
          f"median of {a.runs} runs, load average {load:.2f} (2 shared cores).\n")
    print("| what | median wall time | target |")
    print("|---|---|---|")
    for what, t, target in rows:
        print(f"| {what} | {t * 1000:.0f} ms | {target} |")


if __name__ == "__main__":
    main()
