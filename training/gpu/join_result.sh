#!/usr/bin/env bash
# Turns what training/gpu/device_run.sh left in $OUT (brought back under the run tool's files_at) into a run folder
# like a native run's: RUN_DIR/log.jsonl, RUN_DIR/device.out and RUN_DIR/final/ (config.json, training.json,
# model.safetensors joined from its pieces and checked against its sha256, the corpus tokenizer).
#
#   bash training/gpu/join_result.sh FILES_AT RUN_DIR [TOKENIZER_DIR (default data/corpus-nofim/tokenizer)]
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: join_result.sh FILES_AT RUN_DIR [TOKENIZER_DIR]" >&2; exit 2; fi
FROM=$1 RUN=$2 TOK=${3:-data/corpus-nofim/tokenizer}
if [ -e "$RUN/final" ]; then echo "$RUN/final already exists; choose another RUN_DIR" >&2; exit 1; fi
mkdir -p "$RUN/final"
cp "$FROM/log.jsonl" "$RUN/log.jsonl"
[ -f "$FROM/device.out" ] && cp "$FROM/device.out" "$RUN/device.out"
cp "$FROM/model/config.json" "$FROM/model/training.json" "$RUN/final/"
cat "$FROM"/model/model.safetensors.part* > "$RUN/final/model.safetensors"
(cd "$RUN/final" && sha256sum -c "$(cd "$FROM/model" && pwd)/model.safetensors.sha256")
chmod u+w "$RUN"/final/* "$RUN"/log.jsonl
[ -d "$TOK" ] && cp "$TOK"/* "$RUN/final/"
echo "joined: $RUN/final"
