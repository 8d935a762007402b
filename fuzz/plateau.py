#!/usr/bin/env python3
"""Whether a libFuzzer run reached a plateau, from its log (fuzz/logs/TARGET.log).

Prints the executions, the coverage (`cov`, `ft`) at a quarter, half, three quarters and the
end of the run, and the execution at which the last new coverage appeared (libFuzzer's `NEW`
lines; `REDUCE` lines only shrink inputs), and how much `cov` grew over the second half. A
run whose coverage stopped growing in its second half is on a plateau for this corpus and
these mutators; one still finding new edges late should run longer. The verdict printed
last uses a threshold fixed before the runs it judges: a run is on a plateau when `cov` grew
by less than PLATEAU_PERCENT over its second half, in a run that finished (libFuzzer's
`Done` line) after at least MIN_SECONDS; a shorter run is not judged.

Usage: fuzz/plateau.py LOG [LOG...]
"""
import re
import sys

PLATEAU_PERCENT = 1.0
MIN_SECONDS = 1800
LINE = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+)")


def summarise(path):
    points = []  # (executions, event, cov, ft)
    with open(path, errors="replace") as log:
        for line in log:
            match = LINE.match(line)
            if match:
                n, event, cov, ft = match.groups()
                points.append((int(n), event, int(cov), int(ft)))
    if not points:
        return f"{path}: no coverage lines"
    total = points[-1][0]
    done = re.search(r"Done (\d+) runs in (\d+) second", open(path, errors="replace").read())
    seconds = f" in {done.group(2)} s" if done else ""
    if done:
        total = max(total, int(done.group(1)))

    def at(fraction):
        limit = total * fraction
        before = [p for p in points if p[0] <= limit] or points[:1]
        return before[-1]

    marks = ", ".join(
        f"{int(q * 100)}%: cov {at(q)[2]} ft {at(q)[3]}" for q in (0.25, 0.5, 0.75, 1.0)
    )
    half, end = at(0.5), at(1.0)
    growth = 100.0 * (end[2] - half[2]) / half[2] if half[2] else 0.0
    new = [p for p in points if p[1] == "NEW"]
    last_new = new[-1][0] if new else 0
    share = 100.0 * last_new / total if total else 0.0
    late = sum(1 for p in new if p[0] > total / 2)
    if not done or int(done.group(2)) < MIN_SECONDS:
        verdict = f"not judged (a finished run of at least {MIN_SECONDS} s is needed)"
    elif growth < PLATEAU_PERCENT:
        verdict = f"on a plateau (threshold {PLATEAU_PERCENT}%)"
    else:
        verdict = f"still growing (threshold {PLATEAU_PERCENT}%)"
    return (
        f"{path}: {total:,} executions{seconds}; {marks}; `cov` grew {growth:.1f}% over the "
        f"second half ({late} new inputs there); last new coverage at execution {last_new:,} "
        f"({share:.0f}% of the run); {verdict}"
    )


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(summarise(path))
