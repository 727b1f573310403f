#!/usr/bin/env bash
# The library checks of issue 17 for CI (to be called from .ci/run after the test suite): the guide's two programs
# compile and run (exit 0 means their accuracy and reload checks held), an example run exports ONNX and plots its
# log, kfac-plot draws a PNG, and the NuGet packages are consumed from a local feed (bench/package_check.sh).
# Prints one line per check and, last, "N passed, N failed" for these checks alone; exits non-zero on a failure.
# Usage: bench/library_checks.sh OUT_DIR
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-TestResults}" && cd "${1:-TestResults}" && pwd)"
passed=0; failed=0
check() {  # check NAME COMMAND...: runs COMMAND with its output in OUT_DIR/NAME.txt
  local name="$1"; shift
  local t0=$(date +%s)
  if "$@" >"$out/$name.txt" 2>&1; then
    passed=$((passed + 1)); echo "library: $name ok ($(( $(date +%s) - t0 )) s)"
  else
    failed=$((failed + 1)); echo "library: $name FAILED:"; tail -n 20 "$out/$name.txt"
  fi
}
# The guide programs write their weight files into the working directory: run them in OUT_DIR.
check guide-mlp bash -c "cd '$out' && dotnet run -c Release --project '$root/examples/GuideMlp'"
check guide-convnet bash -c "cd '$out' && dotnet run -c Release --project '$root/examples/GuideConvNet'"
check example-onnx-plot bash -c "dotnet run -c Release --project '$root/examples/Classifier' -- --data embedded --optimizer kfac --steps 20 --log-every 1 \
  --log '$out/classifier.jsonl' --export-onnx '$out/classifier.onnx' --plot '$out/classifier.png' && test -s '$out/classifier.onnx' && test -s '$out/classifier.png'"
check kfac-plot dotnet run -c Release --project "$root/tools/Kfac.Plot" -- --out "$out/autoencoder.png" \
  "$root/docs/results/autoencoder/kfac.jsonl=K-FAC" "$root/docs/results/autoencoder/adam.jsonl=Adam"
check packages bash "$root/bench/package_check.sh"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
