#!/bin/sh
# After pretraining: export (fp16 safetensors + config.json + golden batch), the base-model evaluation with the
# TypeScript model (it also writes the retention probe) running alongside the background slot statistics, then
# the final export with the background df inside the safetensors (the eval does not use df, so it can start on
# the first export).
#   sh train/finish.sh [run dir] [data dir]
set -e
RUN=${1:-build/train/run}
DATA=${2:-build/train/data2}
/usr/bin/python3 train/export.py --ckpt "$RUN/ckpt.pt" --data "$DATA" --df "" --golden build/train/golden-nodf.json 2>&1 | tee build/train/export-nodf.log
npx tsx scripts/eval-base.ts --json build/train/eval-base.json --write-probe public/data/retention-probe.jsonl > build/train/eval-base.log 2>&1 &
EVAL=$!
/usr/bin/python3 train/background_stats.py --ckpt "$RUN/ckpt.pt" --data "$DATA" --out build/train/background-df.npz --threads 1 2>&1 | tee build/train/background.log
/usr/bin/python3 train/export.py --ckpt "$RUN/ckpt.pt" --data "$DATA" --df build/train/background-df.npz --record build/train/record.json --threads 1 2>&1 | tee build/train/export.log
wait $EVAL
cat build/train/eval-base.log
# The per-relation background of this checkpoint (it needs the retention probe the evaluation just wrote).
npm run relation-background
