#!/usr/bin/env python3
"""check_plan.py - check a `scx_cells --dry-run --json` plan (read from stdin) against the
planner's invariants and the expectations given as options. Prints one line per problem (what
was expected and what the plan says) and exits 1 if there is any, 0 otherwise.

  --online LIST        the online CPUs; primaries must partition exactly these
  --cells a,b,c        the workload cells (cgroup basenames) the plan must list, no others
  --min-root N         the root cell owns >= N CPUs
  --all-placed         every cell owns >= 1 CPU
  --max-placed N       at most N workload cells own CPUs
  --min-unplaced N     at least N workload cells own no CPU
  --cpuset NAME=LIST   cell NAME's primary and borrowable CPUs lie inside LIST (repeatable)
  --groups L1/L2/...   every placed cell whose size fits in one group lies in one group
                       (LLC packing); groups are cpulists separated by '/'
  --waiting a,b        the plan's waiting list is exactly these names
  --nr NAME=N          cell NAME ("(root)" for the root cell) owns exactly N CPUs; N may be a
                       range A-B (repeatable)
  --weight NAME=W      cell NAME is reported with weight W (repeatable)
  --cap NAME=N|none    cell NAME is reported with cap N, or none (repeatable)
  --why NAME=WORD      cell NAME's count is explained as WORD (share, floor, need, cap,
                       leftover, cpuset) (repeatable)
"""
import argparse
import json
import os
import sys


def cpulist(s):
    out = set()
    for part in filter(None, (s or "").split(",")):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


def fmt(cpus):
    return ",".join(str(c) for c in sorted(cpus)) or "none"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--online")
    ap.add_argument("--cells")
    ap.add_argument("--min-root", type=int)
    ap.add_argument("--all-placed", action="store_true")
    ap.add_argument("--max-placed", type=int)
    ap.add_argument("--min-unplaced", type=int)
    ap.add_argument("--cpuset", action="append", default=[])
    ap.add_argument("--groups")
    ap.add_argument("--waiting")
    ap.add_argument("--nr", action="append", default=[])
    ap.add_argument("--weight", action="append", default=[])
    ap.add_argument("--cap", action="append", default=[])
    ap.add_argument("--why", action="append", default=[])
    args = ap.parse_args()

    text = sys.stdin.read()
    try:
        plan = json.loads(text)
    except ValueError as e:
        print(f"not JSON ({e}): {text[:300]!r}")
        return 1
    problems = []
    cells = plan.get("cells", [])
    root = [c for c in cells if c["id"] == 0]
    work = {os.path.basename(c["cgroup"]): c for c in cells if c["id"] != 0}
    summary = " ".join(
        f"{c['id']}:{os.path.basename(c['cgroup']) if c['id'] else '(root)'}={c['primary'] or '-'}"
        for c in cells)

    if len(root) != 1:
        problems.append(f"want exactly one root cell (id 0), plan has {len(root)}")
    owner = {}
    for c in cells:
        prim, borrow = cpulist(c["primary"]), cpulist(c["borrowable"])
        if len(prim) != c["nr_primary"]:
            problems.append(f"cell {c['id']}: nr_primary {c['nr_primary']} but primary {c['primary']}")
        if c["placed"] != bool(prim):
            problems.append(f"cell {c['id']}: placed={c['placed']} with primary '{c['primary']}'")
        if prim & borrow:
            problems.append(f"cell {c['id']}: borrowable {c['borrowable']} overlaps its primary")
        for cpu in prim:
            if cpu in owner:
                problems.append(f"cpu {cpu} is primary to cells {owner[cpu]} and {c['id']}")
            owner[cpu] = c["id"]
        if c.get("cpuset"):
            cs = cpulist(c["cpuset"])
            if not prim <= cs or not borrow <= cs:
                problems.append(f"cell {c['id']}: primary {c['primary']} / borrowable "
                                f"{c['borrowable']} outside its cpuset {c['cpuset']}")
    if args.online is not None and set(owner) != cpulist(args.online):
        problems.append(f"primaries cover CPUs {fmt(owner)}, want exactly the online {args.online}")
    if args.cells is not None:
        want = set(filter(None, args.cells.split(",")))
        if set(work) != want:
            problems.append(f"workload cells {sorted(work)}, want {sorted(want)}")
    if args.min_root is not None and root and root[0]["nr_primary"] < args.min_root:
        problems.append(f"root cell owns {root[0]['nr_primary']} CPUs, want >= {args.min_root}")
    if args.all_placed:
        for c in cells:
            if not c["placed"] or c["nr_primary"] < 1:
                problems.append(f"cell {c['id']} ({c['cgroup']}) owns no CPU ({c['reason']})")
    placed = [n for n, c in work.items() if c["placed"]]
    if args.max_placed is not None and len(placed) > args.max_placed:
        problems.append(f"{len(placed)} workload cells placed ({placed}), want <= {args.max_placed}")
    if args.min_unplaced is not None and len(work) - len(placed) < args.min_unplaced:
        problems.append(f"{len(work) - len(placed)} workload cells unplaced, want >= {args.min_unplaced}")
    for spec in args.cpuset:
        name, lst = spec.split("=")
        c = work.get(name)
        if c is None:
            problems.append(f"no cell {name}")
            continue
        cs = cpulist(lst)
        if not cpulist(c["primary"]) <= cs or not cpulist(c["borrowable"]) <= cs:
            problems.append(f"cell {name}: primary {c['primary']} / borrowable {c['borrowable']} "
                            f"outside cpuset {lst}")
    if args.groups:
        groups = [cpulist(g) for g in args.groups.split("/")]
        for c in cells:
            prim = cpulist(c["primary"])
            if not prim or len(prim) > min(len(g) for g in groups):
                continue
            if not any(prim <= g for g in groups):
                problems.append(f"cell {c['id']}: primary {c['primary']} spans groups {args.groups} "
                                f"although it fits in one")
    if args.waiting is not None:
        want = [w for w in args.waiting.split(",") if w]
        if sorted(plan.get("waiting", [])) != sorted(want):
            problems.append(f"waiting {plan.get('waiting')}, want {want}")
    named = dict(work)
    if root:
        named["(root)"] = root[0]
    for opt, key in (("nr", "nr_primary"), ("weight", "weight"), ("cap", "cap"), ("why", "why")):
        for spec in getattr(args, opt):
            name, want = spec.split("=")
            c = named.get(name)
            if c is None:
                problems.append(f"no cell {name}")
                continue
            got = c.get(key)
            if opt == "nr" and "-" in want:
                lo, hi = (int(x) for x in want.split("-"))
                ok = isinstance(got, int) and lo <= got <= hi
            elif opt == "cap" and want == "none":
                ok = got is None
            elif opt in ("nr", "weight", "cap"):
                ok = got == int(want)
            else:
                ok = got == want
            if not ok:
                problems.append(f"cell {name}: {key} is {got!r}, want {want}")
    for p in problems:
        print(f"{p} [plan: {summary}]")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
