#!/usr/bin/env python3
"""occ_lines.py JSON [OUT]: turn `rapport agenda --json --include-cancelled` output into the
generator's ground-truth format, one "UTCSTART UID [CANCELLED]" line per occurrence that STARTS
in the benchmark window [2026-11-27T00:00Z, 2026-12-11T00:00Z), sorted.

rapport lists occurrences that OVERLAP the window, the ground truth those that START in it, so
the filter here is on the start. All-day dates count as UTC midnight (run rapport with TZ=UTC),
as gen_ics.py does."""
import datetime as dt
import json
import sys

UTC = dt.timezone.utc
W0 = dt.datetime(2026, 11, 27, tzinfo=UTC)
W1 = dt.datetime(2026, 12, 11, tzinfo=UTC)


def start_utc(value: str) -> dt.datetime:
    if len(value) == 10:  # a plain date: all-day, floating, read as UTC midnight
        return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)
    t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"start {value!r} has no UTC offset; rapport --json must write one")
    return t.astimezone(UTC)


def lines(occurrences) -> list[str]:
    out = []
    for o in occurrences:
        s = start_utc(o["start"])
        if W0 <= s < W1:
            cancelled = " CANCELLED" if o.get("status") == "cancelled" else ""
            out.append(f"{s:%Y%m%dT%H%M%SZ} {o['uid']}{cancelled}")
    return sorted(out)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        occ = json.load(f)
    text = "".join(line + "\n" for line in lines(occ))
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
