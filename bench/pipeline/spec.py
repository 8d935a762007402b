"""Writes the spec bench/pipeline times: examples/chest-xray's attest.yaml with only the tests
the Python pipeline (peer.py) reproduces — PERF-002, ROB-001..003, INV-001 — and without
the reference model (COMP-001 is not among them). Standard library only.

Usage: spec.py EXAMPLE_SPEC OUT_SPEC
"""

import sys

KEEP = {"PERF-002", "ROB-001", "ROB-002", "ROB-003", "INV-001"}


def main() -> None:
    text = open(sys.argv[1]).read()
    head, tests = text.split("\ntests:\n", 1)
    start, end = head.index("\nreferences:\n"), head.index("\ndata:\n")
    head = head[:start] + head[end:]
    blocks = ("\n" + tests).split("\n  - id: ")
    kept = [b for b in blocks[1:] if b.split("\n", 1)[0].strip() in KEEP]
    assert len(kept) == len(KEEP), [b.split("\n", 1)[0] for b in kept]
    out = head + "\ntests:" + "".join("\n  - id: " + b.rstrip("\n") for b in kept)
    open(sys.argv[2], "w").write(out.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
