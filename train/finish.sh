#!/bin/sh
# After pretraining: background slot statistics, export (fp16 safetensors + config.json + golden batch), then
# the base-model evaluation with the TypeScript model, which also writes the retention probe.
#   sh train/finish.sh [run dir] [data dir]
set -e
RUN=${1:-build/train/run}
DATA=${2:-build/train/data2}
/usr/bin/python3 train/background_stats.py --ckpt "$RUN/ckpt.pt" --data "$DATA" --out build/train/background-df.npz 2>&1 | tee build/train/background.log
/usr/bin/python3 train/export.py --ckpt "$RUN/ckpt.pt" --data "$DATA" --df build/train/background-df.npz --record build/train/record.json 2>&1 | tee build/train/export.log
npx tsx scripts/eval-base.ts --json build/train/eval-base.json --write-probe public/data/retention-probe.jsonl 2>&1 | tee build/train/eval-base.log
