#!/usr/bin/env python3
"""Prints the graph of rapport's top-level modules and fails on a circle.

A top-level module is a file `src/NAME.rs` or a folder `src/NAME/`. An edge
A -> B is any `crate::B` path in A's files outside `#[cfg(test)]` code (tests
may reach across; the shipped code may not). Exit status 1 when two modules
reach each other, directly or around a circle, or when `--layers` is given and
an edge points upwards.

    scripts/module-graph.py            # the graph, one line per module
    scripts/module-graph.py --dot      # Graphviz input
    scripts/module-graph.py --layers   # also check the layer order below

The layer order (ARCHITECTURE.md): each module may import only modules on a
lower layer or beside it on the same layer when no circle results.
"""

import os
import re
import sys

LAYERS = [
    ["cli"],
    ["daemon"],
    ["brief"],
    # The config builds every part's settings: a feed's source description
    # (feed::CalendarSource) and who I am (people::Me) belong to the parts.
    ["config"],
    ["people", "feed"],
    ["calendar"],
    ["util"],
]

PATH_RE = re.compile(r"\bcrate::(?:\{\s*)?([a-z_][a-z0-9_]*)")


def strip_tests(text):
    """The file without its `#[cfg(test)]` items (a module or a function)."""
    out = []
    i = 0
    while True:
        j = text.find("#[cfg(test)]", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        # Skip the attribute's item: up to its first `;` or its balanced braces.
        k = j + len("#[cfg(test)]")
        depth = 0
        while k < len(text):
            c = text[k]
            if c == ";" and depth == 0:
                k += 1
                break
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            k += 1
        i = k


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def modules(src):
    rooms = {}
    for entry in sorted(os.listdir(src)):
        path = os.path.join(src, entry)
        if os.path.isdir(path):
            files = []
            for root, _, names in os.walk(path):
                files += [os.path.join(root, n) for n in names if n.endswith(".rs")]
            rooms[entry] = sorted(files)
        elif entry.endswith(".rs") and entry not in ("main.rs", "lib.rs"):
            rooms.setdefault(entry[:-3], []).append(path)
    return rooms


def edges_of(rooms):
    edges = {r: set() for r in rooms}
    for room, files in rooms.items():
        for f in files:
            with open(f, encoding="utf-8", errors="replace") as fh:
                text = strip_tests(strip_comments(fh.read()))
            targets = [m.group(1) for m in PATH_RE.finditer(text)]
            targets += grouped_targets(text)
            for target in targets:
                if target in rooms and target != room:
                    edges[room].add(target)
    return edges


def grouped_targets(text):
    """The first name of every path inside `crate::{a::X, b::{Y, Z}}`: a, b."""
    found = []
    for m in re.finditer(r"\bcrate::\{", text):
        depth, expect_name, i = 1, True, m.end()
        while i < len(text) and depth > 0:
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == "," and depth == 1:
                expect_name = True
            elif expect_name and depth == 1 and (c.isalpha() or c == "_"):
                name = re.match(r"[a-z_][a-z0-9_]*", text[i:])
                if name:
                    found.append(name.group(0))
                    i += len(name.group(0))
                    expect_name = False
                    continue
            i += 1
    return found


def reach(edges, start):
    seen, todo = set(), [start]
    while todo:
        for w in edges[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def main(argv):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    rooms = modules(src)
    edges = edges_of(rooms)
    if "--dot" in argv:
        print("digraph rapport {")
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print(f"  {a} -> {b};")
        print("}")
    else:
        for a in sorted(edges):
            print(f"{a} -> {' '.join(sorted(edges[a])) or '(nothing)'}")
    problems = []
    circles = sorted(
        {tuple(sorted((a, b))) for a in rooms for b in edges[a] if a in reach(edges, b)}
    )
    for a, b in circles:
        problems.append(f"circle: {a} and {b} reach each other")
    if len(rooms) > 10:
        problems.append(f"{len(rooms)} top-level modules (at most 10): {' '.join(sorted(rooms))}")
    if "--layers" in argv:
        layer = {m: i for i, names in enumerate(LAYERS) for m in names}
        for m in rooms:
            if m not in layer:
                problems.append(f"{m}: not in the layer list of scripts/module-graph.py")
        for a in sorted(edges):
            for b in sorted(edges[a]):
                if a in layer and b in layer and layer[b] < layer[a]:
                    problems.append(f"upward import: {a} -> {b}")
    for p in problems:
        print(f"module-graph: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
