#!/usr/bin/env bash
# Stop 45: ../run.sh with train_error after every step for the first 100 steps, to time the first crossing of momentum
# SGD's final train_error (stop 15: 10.78 / 10.55 / 10.69 on seeds 0-2) to the step. usage: run.sh [DLL]
here="$(cd "$(dirname "$0")" && pwd)"
STEPS=100 EVAL=1 OUT="$here" exec "$here/../run.sh" "$@"
