#!/usr/bin/env python3
"""Stop 44: first step at or below each target train_error in the K-FAC curves of run.sh (the default gamma tied to
lambda) and of run_variant.sh (gamma_search/, stats_decay_0.99/, stats_decay_0.9/, baseline_stop47/, tridiagonal/,
inverse_interval_1/), with the ratio of
iterations per doubling of the batch, and a check that every step the runs share with stop 43's logs
(../batch_scaling_kfac_curves_stop43, and its seed1/ for seed1/; seed 2 is new) has the same train_error.
usage: python3 summarise.py [folder]"""
import glob, importlib.util, json, os, re, sys

# stop 43's helpers (the longest log per batch in a folder; the first crossing), loaded under a name of their own
_spec = importlib.util.spec_from_file_location("summarise_stop43", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "batch_scaling_kfac_curves_stop43", "summarise.py"))
_stop43 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_stop43)
load_curves, first_crossing = _stop43.load_curves, _stop43.first_crossing  # plot.py imports them from here

TARGETS = [10, 8, 6, 5, 4.75, 4.5, 4.25, 4.1, 4.0, 3.9, 3.8, 3.7, 3.6, 3.5, 3.4, 3.3, 3.2, 3.1, 3.0]


def report_identical(label, runs, earlier, where="log"):
    """For each batch in runs that earlier also has: how many evaluations they share and how many are identical."""
    for b, curve in sorted(runs.items()):
        if b not in earlier: continue
        common = dict(earlier[b])
        same = [abs(e - common[s]) < 1e-9 for s, e in curve if s in common]
        print(f"{label}batch {b}: {len(same)} evaluations shared with stop 43's {where}, {sum(same)} identical")


def table(title, curves):
    print(f"## {title}")
    _stop43.print_table(curves, TARGETS)
    print()


def main():
    here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    stop43 = os.path.join(here, "..", "batch_scaling_kfac_curves_stop43")
    old, new = load_curves(stop43), load_curves(here)
    report_identical("", new, old)
    print()
    merged = dict(old)
    merged.update({b: c for b, c in new.items() if len(c) >= len(old.get(b, []))})
    table("gamma tied to lambda (the default; stop 43's logs where this stop has no longer run)", merged)
    for folder, title in (("gamma_search", "gamma search (section 6.6)"), ("stats_decay_0.99", "--stats-decay 0.99"),
                          ("tridiagonal", "block-tridiagonal inverse (section 4.3; stop 45)"),
                          ("inverse_interval_1", "inverses every step (stop 45)"),
                          ("stats_decay_0.9", "--stats-decay 0.9 (stop 47)"),
                          ("baseline_stop47", "the default (0.95), stop 47's build")):
        variant = load_curves(os.path.join(here, folder))
        if variant: table(f"{title}, {folder}/", variant)
    for seed in (1, 2):
        runs = load_curves(os.path.join(here, f"seed{seed}"))
        if not runs: continue
        report_identical(f"seed {seed}, ", runs, load_curves(os.path.join(stop43, f"seed{seed}")), f"seed{seed}/ log")
        table(f"gamma tied to lambda, seed {seed} (seed{seed}/)", runs)


if __name__ == "__main__":
    main()
