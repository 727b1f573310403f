#!/usr/bin/env bash
# Stop 44: run.sh's command (seed 0) with one setting changed, at the batch sizes given; logs in VARIANT/.
#   gamma_search      --gamma-rule Search: section 6.6's search (every 20 steps the quadratic model picks gamma among
#                     {omega2 gamma, gamma, gamma / omega2}, omega2 = 0.95^10) instead of gamma tied to lambda. Why: in
#                     run.sh's curves at 4000 and 8000 lambda reaches its floor (1e-8) by step ~245 with rho ~ 1, so
#                     gamma tied to lambda sits at sqrt(eta) = 0.00316 for the whole late phase (stop 30 tried the
#                     search only to train_error 10).
#   stats_decay_0.99  --stats-decay 0.99: a longer memory of the factor statistics (about 100 steps against the default
#                     0.95's 20). Why: the late phase's alpha stays 0.02-0.04 with gamma tied or searched, so the
#                     direction's quality limits the large batches (stop 43 tried a shorter memory, 0.5: slower).
#   tridiagonal       --structure BlockTridiagonal (stop 45): the block-tridiagonal inverse (section 4.3), a closer
#                     approximation of the inverse GGN than the block-diagonal one. Why: the late phase's small alpha says
#                     the direction's quality limits the large batches; stop 29 tried it only to train_error 10, where
#                     rejected steps (now shortened instead) raised lambda at batch 8000.
#   inverse_interval_1  --inverse-interval 1 instead of 5 (stop 45): the inverses refreshed every step. Why: stop 45
#                     measured one step of inverse staleness costing ~3% iterations at batch 1000, and a larger batch
#                     moves further per step, so its curvature goes stale faster between refreshes.
#   stats_decay_0.9   --stats-decay 0.9 (stop 47): a memory of about 10 steps. Why: at a fixed decay the statistics'
#                     memory holds twice the samples at 8000 as at 4000; 0.9 at 8000 holds what 0.95 holds at 4000
#                     (80 000 rows), the same estimate from fresher weights. Run at both sizes (a per-batch choice).
#   baseline_stop47   run.sh's command unchanged, on this stop's build (stop 46 changed the AVX2 sigmoid's rounding, so
#                     the runs are no longer bit-identical to stop 44's logs).
# Usage: run_variant.sh VARIANT BATCH:STEPS ...   (e.g. run_variant.sh gamma_search 4000:600 8000:450)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
variant=$1; shift
case "$variant" in
  gamma_search) flags="--gamma-rule Search"; tag=gammasearch ;;
  stats_decay_0.99) flags="--stats-decay 0.99"; tag=statsdecay0.99 ;;
  tridiagonal) flags="--structure BlockTridiagonal"; tag=tridiagonal ;;
  inverse_interval_1) flags=""; tag=interval1; export INTERVAL=1 ;;
  stats_decay_0.9) flags="--stats-decay 0.9"; tag=statsdecay0.9 ;;
  baseline_stop47) flags=""; tag=stop47 ;;
  *) echo "unknown variant: $variant (gamma_search | stats_decay_0.99 | tridiagonal | inverse_interval_1 | stats_decay_0.9 | baseline_stop47)" >&2; exit 2 ;;
esac
SEED=0 EXTRA="$flags" OUT="$here/$variant" TAG=$tag exec "$here/run.sh" "$@"
