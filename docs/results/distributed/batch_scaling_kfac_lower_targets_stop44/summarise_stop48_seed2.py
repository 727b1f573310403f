#!/usr/bin/env python3
"""Stop 48: stop 47's decay comparison (summarise_stop47_decay.py) with a third seed, seed 2 (seed2/, tags stop47 and
statsdecay0.9, run on stop 48's build, whose autoencoder arithmetic is stop 47's): per seed the 4000 -> 8000 ratio of
iterations to each train_error at the statistics decay 0.95 (the default) and 0.9, and pooled over seeds 0-2 (summed
iterations; a target counts only where every seed reached it).
usage: python3 summarise_stop48_seed2.py"""
import os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import summarise_stop47_decay as s47  # noqa: E402

s47.LOGS[(2, 0.95)] = ("seed2", "stop47")
s47.LOGS[(2, 0.9)] = ("seed2", "statsdecay0.9")
s47.seed_table(2)
print()
s47.pooled_table((0, 1, 2))
