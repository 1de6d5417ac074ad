#!/usr/bin/env bash
# One call of the `run` device tool (training/gpu/README.md), run from the repository root on the GPU machine:
#
#   bash training/gpu/device_run.sh CONFIG MINUTES [train_torch.py options, e.g. --batch-size 64]
#
# 1. unpacks the carried corpus (.gpu-carry/: train.bin.xz, val.bin.xz, meta.json, tokenizer/) into $GPU_WORK;
# 2. a smoke run of 20 steps (evals at 10 and 20, export) and check_parity.py --against-cpu on its model (the GPU
#    path against the CPU path that check_parity.py ties to src/model/gpt.ts), so a broken setup fails in seconds;
# 3. the run, its training time capped at MINUTES (the schedule decays on time; `timeout` sends SIGTERM 2 minutes
#    later, which makes train_torch.py export latest/);
# 4. puts in $OUT what the tool brings back (at most 8 files of 16 MiB): device.out (all output), log.jsonl,
#    model/{config.json, training.json, model.safetensors.sha256, model.safetensors.partNN (15 MiB pieces)}.
# Join them here with training/gpu/join_result.sh.
set -uo pipefail
if [ $# -lt 2 ]; then echo "usage: device_run.sh CONFIG MINUTES [train_torch.py options]" >&2; exit 2; fi
CONFIG=$1 MINUTES=$2
shift 2
PY=${PYTHON:-python3}
CARRY=${GPU_CARRY:-.gpu-carry}
WORK=${GPU_WORK:-/tmp/localgpt-gpu}
: "${OUT:?OUT must name the folder whose files come back}"
LOG=$OUT/device.out
exec > >(tee -a "$LOG") 2>&1
export PYTHONUNBUFFERED=1

mkdir -p "$WORK/corpus"
t0=$(date +%s)
"$PY" - "$CARRY" "$WORK/corpus" <<'EOF' || exit 1
import lzma, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for name in ("train.bin", "val.bin"):
    packed, plain = os.path.join(src, name + ".xz"), os.path.join(src, name)
    if os.path.exists(packed):
        with lzma.open(packed) as f, open(os.path.join(dst, name), "wb") as g:
            shutil.copyfileobj(f, g, 1 << 24)
    else:
        shutil.copyfile(plain, os.path.join(dst, name))
    print("%s: %d tokens" % (name, os.path.getsize(os.path.join(dst, name)) // 2))
shutil.copyfile(os.path.join(src, "meta.json"), os.path.join(dst, "meta.json"))
if os.path.isdir(os.path.join(src, "tokenizer")):
    shutil.copytree(os.path.join(src, "tokenizer"), os.path.join(dst, "tokenizer"), dirs_exist_ok=True)
EOF
echo "corpus unpacked in $(( $(date +%s) - t0 )) s"
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not available"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'

DATA=(--train "$WORK/corpus/train.bin" --val "$WORK/corpus/val.bin" --meta "$WORK/corpus/meta.json")
echo "== smoke run"
"$PY" training/gpu/train_torch.py --config "$CONFIG" --out "$WORK/smoke" "${DATA[@]}" --steps 20 --eval-interval 10 "$@" \
  || { echo "smoke run failed: not starting the run"; exit 1; }
"$PY" training/gpu/check_parity.py "$WORK/smoke/final" --against-cpu \
  || { echo "the GPU path does not compute the CPU path's logits: not starting the run"; exit 1; }
echo "== run ($MINUTES minutes of training)"
limit=$("$PY" -c 'import sys; print(int(float(sys.argv[1]) * 60 + 120))' "$MINUTES")
timeout -s TERM "$limit" "$PY" training/gpu/train_torch.py --config "$CONFIG" --out "$WORK/run" "${DATA[@]}" --max-minutes "$MINUTES" "$@"
echo "train_torch.py exit status $?"

model=$WORK/run/final
[ -f "$model/model.safetensors" ] || model=$WORK/run/latest
if [ ! -f "$model/model.safetensors" ]; then echo "no model folder was written"; exit 1; fi
"$PY" training/gpu/check_parity.py "$model" --against-cpu
echo "bringing back $model"
mkdir -p "$OUT/model"
cp "$WORK/run/log.jsonl" "$OUT/log.jsonl"
cp "$model/config.json" "$model/training.json" "$OUT/model/"
(cd "$model" && sha256sum model.safetensors) > "$OUT/model/model.safetensors.sha256"
split -b 15M -d -a 2 "$model/model.safetensors" "$OUT/model/model.safetensors.part"
ls -l "$OUT" "$OUT/model"
