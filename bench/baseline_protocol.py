"""Kfac.Bench's baseline protocol (Kfac.Bench/BaselineProcess.cs) for the reference scripts' --serve mode: print
"ready"; answer each "run K" on stdin with the K steps' milliseconds on one line; end at "quit" or end of input."""
import sys, time


def serve(step):
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            return
        if len(words) != 2 or words[0] != "run" or not words[1].isdigit() or int(words[1]) < 1:
            raise SystemExit(f"baseline protocol: unknown request {line!r}")
        ms = []
        for _ in range(int(words[1])):
            t0 = time.perf_counter()
            step()
            ms.append(repr(1000 * (time.perf_counter() - t0)))
        print(" ".join(ms), flush=True)
