#!/usr/bin/env python3
"""Writes fuzz/dicts/spec.dict, the libFuzzer dictionary of the `spec` target: every property
name, `const` and `enum` string of schemas/spec.v1.json (each as `name: ` so that a mutation
makes a mapping key), every perturbation kind the registry names, and YAML and cohort-predicate
syntax. Regenerate after a schema change: python3 fuzz/dicts/spec_dict.py
"""
import glob
import json
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def strings(node, keys, values):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                keys.update(value)
            elif key == "enum" and isinstance(value, list):
                values.update(v for v in value if isinstance(v, str))
            elif key == "const" and isinstance(value, str):
                values.add(value)
            strings(value, keys, values)
    elif isinstance(node, list):
        for item in node:
            strings(item, keys, values)


def main():
    keys, values = set(), set()
    with open(os.path.join(ROOT, "schemas", "spec.v1.json")) as schema:
        strings(json.load(schema), keys, values)
    kinds = set()
    for path in glob.glob(os.path.join(ROOT, "crates", "attest-perturb", "src", "kinds", "*.rs")):
        with open(path) as source:
            kinds.update(re.findall(r'^\s*name: "([a-z0-9_]+)"', source.read(), re.M))
    syntax = ["---\n", "...\n", "- ", ": ", "\n  ", "{ ", " }", "[", "]", "&a ", "*a", "<<: ",
              "!!str ", "!!binary ", "|\n", ">\n", "'", '"', "# ", "~", "null", "true", "1e9",
              "-.inf", ".nan", "0x1F", "AND ", " OR ", "NOT ", " IN (", " BETWEEN ", " IS NULL",
              ">= ", "<= ", "!= ", "= ", "< ", "> "]
    out = [
        "# libFuzzer dictionary of the `spec` target, written by fuzz/dicts/spec_dict.py from",
        "# schemas/spec.v1.json and the perturbation registry; do not edit by hand.",
    ]

    def token(text):
        escaped = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else f"\\x{ord(c):02x}"
                          for c in text)
        out.append(f'"{escaped}"')

    for key in sorted(keys):
        token(f"{key}: ")
    for value in sorted(values | kinds):
        token(value)
    for text in syntax:
        token(text)
    with open(os.path.join(ROOT, "fuzz", "dicts", "spec.dict"), "w") as dict_file:
        dict_file.write("\n".join(out) + "\n")
    print(f"fuzz/dicts/spec.dict: {len(out) - 2} tokens")


if __name__ == "__main__":
    main()
