#!/usr/bin/env python3
"""Carry earlier mutation outcomes over to the current tree.

cargo-mutants names a mutant by file, line and column, so any edit above a
function renames every mutant below it, and `--iterate` then tests them
again. This script matches mutants by what they change instead: the file,
the mutation's description, the whole text of the enclosing function and
the mutation's place inside it (for a mutant outside any function, the
lines around it). A mutant of the current tree whose fingerprint equals
that of a mutant caught (or unviable) on the tree an earlier run used is
the same edit of the same code. The same check applies to a name that
is in an earlier list: when its code has changed since, it is tested again.

Usage (from the repository root):

    python3 mutants/carry.py TREES OUT_DIR 'src/clv/**'

TREES is a file of lines `<run directory under mutants/> <commit> [<commit>]`:
the tree (or trees) each recorded run used. A name of a run must have the
same fingerprint on every tree listed for it. The script makes a worktree
and a mutant list for each commit (under OUT_DIR), checks that every name
in each run's lists exists on its tree (a wrong tree is refused), and
writes:

- OUT_DIR/carried_caught.txt and carried_unviable.txt: current names whose
  earlier outcome was caught (or timeout) or unviable on every run that
  tested them;
- OUT_DIR/rerun.txt: current names, renamed since, of mutants an earlier
  run missed (each was then killed by a new test or argued equivalent in
  its run's `verdicts.md`: re-test them);
- OUT_DIR/changed.txt: names in an earlier list that now mutate other
  code (re-test them);
- OUT_DIR/exclude.txt: the names to merge into an `--iterate` run's
  `caught.txt`: the carried ones, and the earlier lists' names whose code
  is unchanged.
"""

import collections
import json
import os
import re
import subprocess
import sys

KINDS = ("caught", "timeout", "unviable", "missed")


def mutant_list(commit, out_dir, pattern):
    """The JSON mutant list of a commit (a worktree made on first use)."""
    path = os.path.join(out_dir, f"list_{commit}.json")
    root = os.path.join(out_dir, f"wt_{commit}")
    if commit == "HEAD":
        root = "."
    elif not os.path.isdir(root):
        subprocess.run(["git", "worktree", "add", "-f", "--detach", root, commit],
                       check=True, capture_output=True)
    if not os.path.exists(path):
        listed = subprocess.run(
            ["cargo", "mutants", "--no-config", "--list", "--json", "-f", pattern],
            cwd=root, check=True, capture_output=True, text=True).stdout
        with open(path, "w") as f:
            f.write(listed)
    with open(path) as f:
        return root, json.load(f)


def fingerprints(root, mutants):
    lines = {}

    def text(file):
        if file not in lines:
            with open(os.path.join(root, file)) as f:
                lines[file] = f.read().split("\n")
        return lines[file]

    out = {}
    for m in mutants:
        description = re.sub(r"^[^:]+:\d+:\d+: ", "", m["name"])
        span = m["span"]
        source = text(m["file"])
        function = m.get("function")
        if function:
            a = function["span"]["start"]["line"]
            b = function["span"]["end"]["line"]
            body = "\n".join(source[a - 1:b])
            place = (span["start"]["line"] - a, span["start"]["column"],
                     span["end"]["line"] - a, span["end"]["column"])
            name = function["function_name"]
        else:
            a = span["start"]["line"]
            b = span["end"]["line"]
            body = "\n".join(source[max(0, a - 8):b + 8])
            place = (span["start"]["column"], b - a, span["end"]["column"])
            name = None
        out[m["name"]] = (m["file"], description, m["genre"], m["replacement"],
                          name, body, place)
    return out


def main():
    trees_file, out_dir, pattern = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    runs = []
    with open(trees_file) as f:
        for line in f:
            words = line.split()
            if words and not words[0].startswith("#"):
                runs.append((words[0], words[1:]))
    prints = {}
    for _, commits in runs:
        for commit in commits:
            if commit not in prints:
                root, listed = mutant_list(commit, out_dir, pattern)
                prints[commit] = fingerprints(root, listed)
    earlier = collections.defaultdict(set)
    every_name = {}
    for run, commits in runs:
        for kind in KINDS:
            path = os.path.join("mutants", run, kind + ".txt")
            if not os.path.exists(path):
                continue
            for name in filter(None, open(path).read().split("\n")):
                seen = {prints[c].get(name) for c in commits}
                if None in seen or len(seen) != 1:
                    sys.exit(f"{run}: {name!r} is not one mutant on {commits}: wrong tree?")
                print_ = seen.pop()
                every_name.setdefault(name, set()).add(print_)
                earlier[print_].add(kind)
    root, listed = mutant_list("HEAD", out_dir, pattern)
    current = fingerprints(root, listed)
    carried = collections.defaultdict(list)
    for name, print_ in sorted(current.items()):
        if print_ in every_name.get(name, ()):
            carried["same"].append(name)
            continue
        if print_ not in earlier:
            if name in every_name:
                carried["changed"].append(name)
            continue
        kinds = earlier[print_]
        if kinds <= {"caught", "timeout"}:
            carried["caught"].append(name)
        elif kinds == {"unviable"}:
            carried["unviable"].append(name)
        else:
            carried["rerun"].append(name)
    for kind in ("caught", "unviable"):
        with open(os.path.join(out_dir, f"carried_{kind}.txt"), "w") as f:
            f.writelines(n + "\n" for n in carried[kind])
    for kind in ("rerun", "changed"):
        with open(os.path.join(out_dir, kind + ".txt"), "w") as f:
            f.writelines(n + "\n" for n in carried[kind])
    exclude = set(carried["same"]) | set(carried["caught"]) | set(carried["unviable"])
    with open(os.path.join(out_dir, "exclude.txt"), "w") as f:
        f.writelines(n + "\n" for n in sorted(exclude))
    fresh = sum(1 for n in current if n not in exclude)
    print(f"{len(current)} mutants now; {len(every_name)} names in earlier lists, "
          f"{len(carried['same'])} of them on unchanged code, {len(carried['changed'])} changed; "
          f"carried: {len(carried['caught'])} caught, {len(carried['unviable'])} unviable; "
          f"{len(carried['rerun'])} earlier missed to re-test; {fresh} left to test")


if __name__ == "__main__":
    main()
