#!/usr/bin/python3
# report.py: the benchmarks' one table, and the run's JSON file.
#
#   report.py table FILE...          print the table of JSON-lines records
#   report.py header QUICK RUNS      print the run's header: version, quick,
#                                    runs and this machine, as one object
#   report.py assemble HEADER SECONDS OUT FILE...
#                                    write the run's JSON to OUT, print table
#
# Records are the JSON lines bench/lib.sh describes (one per figure, with
# every run's value); notes ({"bench":...,"note":...}) go under the table.
# A results file (bench.json) is one object: {"version":1, "machine":{...},
# "figures":[records with median/min/max added], "notes":[...], ...}.
# Read by bench/compare, which imports this file.
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time


def load(path):
    """Records and notes from a results file or a JSON-lines file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "figures" in doc:
        return doc.get("figures", []), doc.get("notes", []), doc
    figures, notes = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise ValueError("%s:%d: not JSON: %s" % (path, n, e))
        if not isinstance(obj, dict):
            raise ValueError("%s:%d: not a JSON object" % (path, n))
        if "note" in obj:
            notes.append(obj)
        elif "figure" in obj:
            figures.append(obj)
        else:
            raise ValueError("%s:%d: neither a figure nor a note" % (path, n))
    return figures, notes, None


def stats(values):
    vals = [v for v in values or [] if isinstance(v, (int, float))]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals),
            "max": max(vals), "n": len(vals)}


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    return "%.2f" % v


def cell(values, unit):
    s = stats(values)
    if s is None:
        return "-"
    out = "%s %s" % (fmt(s["median"]), unit)
    if s["n"] > 1:
        out += " [%s-%s]" % (fmt(s["min"]), fmt(s["max"]))
    return out


def ratio(fig):
    """How many times soca beats the anchor (> 1: soca better)."""
    s, a = stats(fig.get("soca")), stats(fig.get("anchor"))
    if s is None or a is None or not s["median"] or not a["median"]:
        return None
    if fig.get("better") == "higher":
        return s["median"] / a["median"]
    return a["median"] / s["median"]


GOAL_RE = re.compile(r"^(soca|anchor/soca|soca/anchor)\s*(==|<=|>=|<|>)\s*"
                     r"([0-9]+(?:\.[0-9]+)?)$")
OPS = {"==": lambda a, b: abs(a - b) < 1e-9, "<=": lambda a, b: a <= b,
       ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
       ">": lambda a, b: a > b}


def goal_expr(fig):
    """met/MISSED for a goal written as bench/ec2 writes it ("soca < 1000",
    "anchor/soca >= 50", "soca/anchor >= 0.95"), "" for anything else."""
    m = GOAL_RE.match(str(fig.get("goal", "")).strip())
    s, a = stats(fig.get("soca")), stats(fig.get("anchor"))
    if not m or s is None:
        return ""
    lhs = s["median"]
    if m.group(1) != "soca":
        if a is None or not a["median"] or not s["median"]:
            return ""
        lhs = (a["median"] / s["median"] if m.group(1) == "anchor/soca"
               else s["median"] / a["median"])
    return "met" if OPS[m.group(2)](lhs, float(m.group(3))) else "MISSED"


def verdict(fig):
    """met/MISSED against goal_ratio (vs the anchor), goal_value, or a goal
    written as an expression."""
    r, want = ratio(fig), fig.get("goal_ratio")
    if r is not None and isinstance(want, (int, float)):
        return "met" if r >= want else "MISSED"
    s, bound = stats(fig.get("soca")), fig.get("goal_value")
    if s is None or not isinstance(bound, (int, float)):
        return goal_expr(fig)
    if fig.get("better") == "higher":
        return "met" if s["median"] >= bound else "MISSED"
    return "met" if s["median"] <= bound else "MISSED"


def table(figures, notes, out=sys.stdout):
    rows = [("figure", "soca median [min-max]", "anchor (same run)",
             "ratio", "goal", "")]
    for f in figures:
        unit = f.get("unit", "")
        anchor = "-"
        if f.get("anchor_name") is not None:
            anchor = "%s: %s" % (f["anchor_name"], cell(f.get("anchor"), unit))
        r = ratio(f)
        rows.append((f.get("figure", "?"), cell(f.get("soca"), unit), anchor,
                     "%.2fx" % r if r is not None else "-",
                     f.get("goal", ""), verdict(f)))
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip(),
              file=out)
    for n in notes:
        print("note: %s: %s" % (n.get("bench", "?"), n.get("note", "")),
              file=out)


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine():
    mem = None
    cpu = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1])
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    src = os.environ.get("SOCA_SRCDIR") or os.path.dirname(
        os.path.dirname(os.path.realpath(__file__)))
    commit = sh("git", "-C", src, "rev-parse", "HEAD")
    dirty = sh("git", "-C", src, "status", "--porcelain", "--untracked-files=no")
    return {"nproc": os.cpu_count(), "mem_total_kib": mem, "cpu": cpu,
            "kernel": platform.release(), "os": sh("uname", "-sm"),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
            "git_commit": commit, "git_dirty": bool(dirty) if dirty is not None else None,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def describe(doc):
    """One line: the machine and run a results file came from."""
    m = doc.get("machine", {})
    mem = m.get("mem_total_kib")
    load = m.get("loadavg_start") or []
    return ("machine: %s cpus (%s), %s GiB, Linux %s, load %s at start; "
            "commit %s%s; %s; %s run in %s s" % (
                m.get("nproc"), m.get("cpu") or "?",
                "%.1f" % (mem / 1048576) if mem else "?", m.get("kernel"),
                " ".join("%.2f" % x for x in load), (m.get("git_commit") or "?")[:12],
                " (modified)" if m.get("git_dirty") else "", m.get("date"),
                "quick" if doc.get("quick") else "full", doc.get("seconds")))


def assemble(header_path, seconds, out_path, paths):
    with open(header_path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["seconds"] = round(float(seconds), 1)
    figures, notes = [], []
    for p in paths:
        fg, nt, _ = load(p)
        figures += fg
        notes += nt
    for f in figures:
        for side in ("soca", "anchor"):
            s = stats(f.get(side))
            if s is not None:
                f[side + "_stats"] = s
        r = ratio(f)
        if r is not None:
            f["ratio"] = round(r, 4)
    doc["figures"] = figures
    doc["notes"] = notes
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return figures, notes


def main(argv):
    if len(argv) >= 2 and argv[1] == "table":
        figures, notes = [], []
        for p in argv[2:]:
            fg, nt, _ = load(p)
            figures += fg
            notes += nt
        table(figures, notes)
    elif len(argv) == 4 and argv[1] == "header":
        print(json.dumps({"version": 1, "quick": argv[2] == "1",
                          "runs": int(argv[3]) if argv[3] else None,
                          "machine": machine()}))
    elif len(argv) >= 5 and argv[1] == "assemble":
        figures, notes = assemble(argv[2], argv[3], argv[4], argv[5:])
        table(figures, notes)
        with open(argv[4], encoding="utf-8") as f:
            print(describe(json.load(f)))
    else:
        print("usage: report.py table FILE... | header QUICK RUNS | "
              "assemble HEADER SECONDS OUT FILE...", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError) as e:
        print("report.py: %s" % e, file=sys.stderr)
        sys.exit(2)
