#!/usr/bin/env python3
"""Reject against shrink, per example, from run.sh's logs (last line of each; worst train loss over the second half)."""
import glob, json, os, sys
here = os.path.dirname(os.path.abspath(__file__))

def rows(path):
    return [json.loads(l) for l in open(path) if l.strip()]

def last(path, key):
    for r in reversed(rows(path)):
        if r.get(key) is not None: return r[key]

# (train_loss in the logs is the mean over the interval since the previous record, which --log-every makes
# time-dependent; the final test accuracy and test loss do not depend on when records were written.)
print("tabular: data | rule | final test accuracy s0/s1/s2 | final test loss | rejected | shrunk")
for d in ("digits", "breast_cancer", "wine"):
    for rule in ("reject", "shrink"):
        paths = [os.path.join(here, f"{rule}_tabular_{d}_{s}.jsonl") for s in range(3)]
        if not all(os.path.exists(p) for p in paths): continue
        acc = [last(p, "test_accuracy") for p in paths]
        loss = [last(p, "test_loss") for p in paths]
        rej = [last(p, "rejected_steps") for p in paths]
        shr = [last(p, "shrunk_steps") for p in paths]
        print(f"{d} | {rule} | " + " / ".join(f"{a:.3f}" for a in acc) + f" (mean {sum(acc)/3:.4f}) | " + " / ".join(f"{l:.4f}" for l in loss)
              + " | " + " / ".join(str(r) for r in rej) + " | " + " / ".join(str(s) for s in shr))
print("classifier (1 epoch): rule | test accuracy s0/s1/s2 | test loss | rejected | shrunk")
for rule in ("reject", "shrink"):
    paths = [os.path.join(here, f"{rule}_classifier_1epoch_seed{s}.jsonl") for s in range(3)]
    paths = [p for p in paths if os.path.exists(p)]
    if not paths: continue
    acc = [last(p, "test_accuracy") for p in paths]
    print(f"{rule} | " + " / ".join(f"{a:.4f}" for a in acc) + f" (mean {sum(acc)/len(acc):.4f}) | "
          + " / ".join(f"{last(p, 'test_loss'):.4f}" for p in paths) + " | "
          + " / ".join(str(last(p, "rejected_steps")) for p in paths) + " | " + " / ".join(str(last(p, "shrunk_steps")) for p in paths))
print("autoencoder: run | rule | train_error at each evaluation (every 10 steps) | rejected | shrunk")
for run in ("defaults_330steps", "batch4000_100steps"):
    for rule in ("reject", "shrink"):
        p = os.path.join(here, f"{rule}_autoencoder_{run}_seed0.jsonl")
        if not os.path.exists(p): continue
        errs = [r["train_error"] for r in rows(p) if r.get("train_error") is not None]
        print(f"{run} | {rule} | " + " ".join(f"{e:.2f}" for e in errs) + f" | {last(p, 'rejected_steps')} | {last(p, 'shrunk_steps')}")
