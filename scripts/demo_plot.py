#!/usr/bin/env python3
"""Draw the demo's picture: CPUs per cell and per-cell utilisation over time.

    scripts/demo_plot.py CONSOLE_LOG OUT.png

CONSOLE_LOG is the demo's console log (build/vm-demo/demo.log); the demo prints each interval's
JSON stats line prefixed with "DEMOJSON ". Writes OUT.png with gnuplot (two panels sharing the
time axis) and prints where it is. Exit 1 if the log holds no stats lines, 2 on usage errors.
"""
import json
import os
import subprocess
import sys
import tempfile


def load(path):
    samples = []
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("DEMOJSON ")
            if i < 0:
                continue
            try:
                samples.append(json.loads(line[i + len("DEMOJSON "):]))
            except json.JSONDecodeError:
                continue  # a line cut by the console: skip it
    return samples


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    log, out = sys.argv[1], sys.argv[2]
    samples = load(log)
    if not samples:
        print(f"demo_plot: no stats lines (DEMOJSON) in {log}", file=sys.stderr)
        return 1
    names = {}
    for s in samples:
        for c in s.get("cells", []):
            names.setdefault(c["id"], c["cgroup"])
    ids = sorted(names)
    tmp = tempfile.mkdtemp(prefix="scx_cells_plot.")
    data = os.path.join(tmp, "cells.dat")
    with open(data, "w") as f:
        for s in samples:
            by_id = {c["id"]: c for c in s.get("cells", [])}
            row = [f'{s["t"]:.2f}']
            for i in ids:
                c = by_id.get(i)
                row.append(str(c["nr_cpus"]) if c else "NaN")
            for i in ids:
                c = by_id.get(i)
                row.append(f'{c["util_pct"]:.1f}' if c else "NaN")
            f.write(" ".join(row) + "\n")
    n = len(ids)
    cpus = ", ".join(
        f"'{data}' using 1:{2 + k} with steps lw 2 title '{names[i]}'" for k, i in enumerate(ids))
    util = ", ".join(
        f"'{data}' using 1:{2 + n + k} with lines lw 2 title '{names[i]}'"
        for k, i in enumerate(ids))
    script = f"""
set terminal pngcairo size 1100,750 font ',11' noenhanced
set output '{out}'
set multiplot layout 2,1 title 'scx_cells demo: cells, their CPUs and their load'
set grid
set key outside right
set ylabel 'primary CPUs'
set yrange [0:*]
set ytics 1
plot {cpus}
set ylabel 'util % of own CPUs'
set xlabel 'seconds since the scheduler started'
set ytics auto
plot {util}
unset multiplot
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except FileNotFoundError:
        print("demo_plot: gnuplot is missing (package gnuplot-nox)", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"demo_plot: gnuplot failed ({e.returncode})", file=sys.stderr)
        return 1
    finally:
        os.remove(data)
        os.rmdir(tmp)
    print(f"demo: picture of {len(samples)} intervals, {n} cells: {os.path.abspath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
