#!/usr/bin/python3
"""Which attribution methods let motif discovery find the planted truth, on every scenario
(docs/benchmarks/discovery.md).

    /usr/bin/python3 bench/scenario_discovery.py [--out DIR] [--liftbench BIN] [--threads N]
                                                 [--methods M,M,...] [SCENARIO ...]

For each scenario (default: every configs/scenarios/<name>.ini) runs

    liftbench run -c configs/scenarios/<name>.ini -o DIR/<name> --eval.discover_methods M,...

(`run` reuses the steps already finished for the same configuration, so a second call only
re-reads the tables) and prints, per scenario, one Markdown table from DIR/<name>/discovery.tsv
(docs/discovery.md "The benchmark"): per method, over every task, the planted driver motifs
recovered (a positive discovered motif matched with q < 0.05) out of those planted, the same for
planted repressors (by a negative motif), which were missed, the mean seqlet precision and
recall and repressor recall (the share of repressor sites under a negative seqlet), the positive
motifs that match no planted motif (false drivers) and those matched to a planted motif that
does not drive the task (off-task), each with the largest share of a task's seqlets, and the
largest share of an unmatched negative motif. Methods default to the seven with hypothetical
scores (all of the scenarios' methods but ism). Needs only python3.
"""
import argparse
import collections
import csv
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("grad_x_input,ig,guided_backprop,deeplift:rescale,deeplift:revealcancel,"
           "deeplift:genomics,deeplift:genomics@dinuc_shuffle")


def read_discovery(path):
    """discovery.tsv -> {method: {task: {(motif, metric): value}}}, methods in file order."""
    table = collections.OrderedDict()
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            task = table.setdefault(row["method"], collections.OrderedDict()).setdefault(
                int(row["task"]), {})
            task[(row["motif"], row["metric"])] = row["value"]
    return table


def summarise(tasks):
    """One method's tasks -> the table's cells."""
    planted, found = collections.Counter(), collections.Counter()  # by role: driver, repressor
    missed, repressor_recall = [], []
    precision, recall = [], []
    false_drivers, off_task = 0, 0
    false_share, off_share, negative_share = 0.0, 0.0, 0.0
    for t, cells in tasks.items():
        for (motif, metric), value in cells.items():
            role = {"recovered": "driver", "repressor_recovered": "repressor"}.get(metric)
            if role:
                planted[role] += 1
                found[role] += value == "1"
                if value != "1":
                    missed.append(f"{t}:{motif}" + (" (repressor)" if role == "repressor" else ""))
        status = cells.get(("-", "status"), "")
        if status != "motifs":
            missed.append(f"(task {t}: {status})")
        for key, into in (("seqlet_precision", precision), ("seqlet_recall", recall),
                          ("repressor_recall", repressor_recall)):
            value = cells.get(("-", key))
            if value not in (None, "nan", "NA", "-"):
                into.append(float(value))
        false_drivers += int(cells.get(("-", "unmatched_positive_motifs"), 0))
        off_task += int(cells.get(("-", "off_task_motifs"), 0))
        false_share = max(false_share, float(cells.get(("-", "unmatched_positive_max_share"), 0)))
        off_share = max(off_share, float(cells.get(("-", "off_task_max_share"), 0)))
        negative_share = max(negative_share,
                             float(cells.get(("-", "unmatched_negative_max_share"), 0)))
    mean = lambda xs: f"{sum(xs) / len(xs):.2f}" if xs else "-"
    share = lambda n, s: f"{n} ({s:.1%})" if n else "0"
    ratio = lambda role: f"{found[role]} / {planted[role]}" if planted[role] else "-"
    return [ratio("driver"), ratio("repressor"),
            ", ".join(missed) or "-", mean(precision), mean(recall), mean(repressor_recall),
            share(false_drivers, false_share), share(off_task, off_share), f"{negative_share:.1%}"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "scenarios"))
    ap.add_argument("--liftbench", default=os.path.join(ROOT, "build", "cli", "liftbench"))
    ap.add_argument("--threads", default="0")
    ap.add_argument("--methods", default=METHODS)
    ap.add_argument("scenarios", nargs="*")
    args = ap.parse_args()
    config_dir = os.path.join(ROOT, "configs", "scenarios")
    names = args.scenarios or sorted(f[:-4] for f in os.listdir(config_dir) if f.endswith(".ini"))
    for name in names:
        config = os.path.join(config_dir, name + ".ini")
        if not os.path.isfile(config):
            sys.exit(f"scenario_discovery.py: no scenario config {config}")
        out = os.path.join(args.out, name)
        subprocess.run([args.liftbench, "run", "-q", "-c", config, "-o", out, "--threads",
                        args.threads, "--eval.discover_methods", args.methods], check=True)
        table = read_discovery(os.path.join(out, "discovery.tsv"))
        print(f"\n**{name}**\n")
        print("| method | drivers recovered | repressors recovered | missed | seqlet precision"
              " | seqlet recall | repressor recall | false drivers | off-task | unmatched negative |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for method, tasks in table.items():
            print("| " + " | ".join([method] + summarise(tasks)) + " |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
