#!/usr/bin/env python3
"""Checks a log against docs/behaviour.md#parsing, independently of the Rust parser.

    check-log.py FILE [LATE_SECONDS]

Parses every line (three fields split on runs of ASCII whitespace; TS digits
with an optional .fraction, milliseconds when the integer part exceeds
999999999999), keeps times exact as integer nanoseconds, and verifies the
lateness bound: every record's TS >= (largest earlier TS) - L (default 300 s).
Prints counts; exit status 1 if the bound is broken.
"""
import re
import sys

TS = re.compile(rb"([0-9]+)(?:\.([0-9]+))?")


def nanos(field):
    m = TS.fullmatch(field)
    if not m:
        return None
    whole, frac = int(m[1]), (m[2] or b"")
    unit, places = (10**6, 6) if whole > 999_999_999_999 else (10**9, 9)
    return whole * unit + int((frac[:places] or b"0").ljust(places, b"0"))


def main():
    path, late = sys.argv[1], int(float(sys.argv[2]) * 10**9) if len(sys.argv) > 2 else 300 * 10**9
    records = malformed = broken = 0
    latest = None
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()  # bytes.split(): space, \t, \n, \r, \v, \f
            t = nanos(fields[0]) if len(fields) == 3 else None
            if t is None:
                malformed += 1
                continue
            records += 1
            if latest is not None and t < latest - late:
                broken += 1
                if broken <= 5:
                    print(f"{path}:{number}: TS {fields[0].decode()} breaks the lateness bound")
            latest = t if latest is None else max(latest, t)
    print(f"{records} records, {malformed} malformed, {broken} breaking the bound")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
