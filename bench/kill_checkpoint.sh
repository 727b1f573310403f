#!/usr/bin/env bash
# Crash safety of checkpointing (issue 17): starts a checkpointing training run of examples/Classifier, kills it
# with SIGKILL at KILLS random moments (every other kill aimed at a checkpoint write: the script waits until the
# writer's temporary file ".run.safetensors.<guid>.tmp" exists, then kills at once), and after each kill checks
#   1. the checkpoint loads: a --resume run with --steps one above the checkpointed step exits 0 and saves step+1;
#   2. no partial files remain after that run (a killed writer's temporary is removed at the next start).
# Each run resumes from the previous checkpoint, so the 20 kills hit one continuing run. Prints one line per
# kill and, last, "N passed, N failed"; exits non-zero on a failure.
# Usage: [WAIT_MIN=2] [WAIT_SPAN=5] [SEED=17] bench/kill_checkpoint.sh [KILLS=20] [OPTIMIZER=adam] [WORK_DIR=mktemp]
# (random kills come WAIT_MIN to WAIT_MIN + WAIT_SPAN seconds after the start; raise them for slow K-FAC start-ups)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kills="${1:-20}"
optimizer="${2:-adam}"
work="${3:-$(mktemp -d)}"
mkdir -p "$work"
dll="$root/examples/Classifier/bin/Release/net10.0/Classifier.dll"
[ -f "$dll" ] || dotnet build "$root/examples/Classifier" -c Release -v q >/dev/null || exit 1
ckpt="$work/run.safetensors"
rm -f "$ckpt" "$work"/.run.safetensors.*.tmp "$work/log.jsonl"
RANDOM=${SEED:-17}
passed=0; failed=0

step_of() {  # the "step" in a safetensors checkpoint's __metadata__
  python3 - "$1" <<'PY'
import json, struct, sys
with open(sys.argv[1], 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    print(json.loads(f.read(n))['__metadata__']['step'])
PY
}
partials() { find "$work" -maxdepth 1 -name '.run.safetensors.*.tmp' | wc -l; }

for i in $(seq 1 "$kills"); do
  resume=(); [ -f "$ckpt" ] && resume=(--resume "$ckpt")
  dotnet "$dll" --data embedded --optimizer "$optimizer" --seconds 1000 --log-every 0.2 --seed 3 \
    --checkpoint "$ckpt" --log "$work/log.jsonl" "${resume[@]}" >"$work/run-$i.txt" 2>&1 &
  pid=$!
  if (( i % 2 == 0 )); then
    # Aim at a write: poll for the writer's temporary file (up to 30 s), kill the moment it appears.
    how="during a checkpoint write"
    for _ in $(seq 1 30000); do
      # non-empty: the start-up writability probe uses the same (empty, at once deleted) name pattern
      [ -n "$(find "$work" -maxdepth 1 -name '.run.safetensors.*.tmp' -size +0c -print -quit)" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.001
    done
  else
    how="at a random moment"
    sleep "$(( ${WAIT_MIN:-2} + RANDOM % ${WAIT_SPAN:-5} )).$(( RANDOM % 10 ))"
  fi
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  left=$(partials)
  if [ ! -f "$ckpt" ]; then
    echo "kill $i ($how): no checkpoint yet (killed before the first save), $left partial file(s)"
    [ "$left" -le 1 ] && passed=$((passed + 1)) || failed=$((failed + 1))
    continue  # the next run's start removes the partial file; checked after the next resume
  fi
  step=$(step_of "$ckpt") || { echo "kill $i ($how): checkpoint header unreadable"; failed=$((failed + 1)); continue; }
  target=$((step + 1))
  if dotnet "$dll" --data embedded --optimizer "$optimizer" --steps "$target" --seed 3 --resume "$ckpt" --checkpoint "$ckpt" \
       >"$work/resume-$i.txt" 2>&1 && [ "$(step_of "$ckpt")" = "$target" ] && [ "$(partials)" -eq 0 ]; then
    echo "kill $i ($how): $left partial file(s) after the kill; checkpoint at step $step loads, resumed to step $target, 0 partial files remain"
    passed=$((passed + 1))
  else
    echo "kill $i ($how): FAILED (checkpoint step $step, partial files now $(partials)):"; tail -n 5 "$work/resume-$i.txt"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
