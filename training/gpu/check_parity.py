#!/usr/bin/env python3
"""
Proves the PyTorch model of train_torch.py is the project's model: loads a model folder (config.json +
model.safetensors) into it, computes fp32 logits on the CPU for fixed token ids, and has
training/gpu/parity.ts compare them with the reference forward pass of src/model/gpt.ts on the same folder.

    python3 training/gpu/check_parity.py MODEL_DIR [--tokens 16] [--tolerance 1e-4]

Run from the repository root (it calls `npx tsx`). Exit status 0 when the max abs difference is within tolerance.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_torch import GPT, read_model_config, read_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", help="model folder: config.json + model.safetensors")
    ap.add_argument("--tokens", type=int, default=16, help="how many token ids (at most n_positions)")
    ap.add_argument("--tolerance", default="1e-4")
    args = ap.parse_args()
    cfg = read_model_config(args.model)
    n = min(args.tokens, cfg["n_positions"])
    # fixed ids spread over the vocabulary (0 = <|endoftext|> first, as documents start)
    ids = [0] + [(i * 7919 + 13) % cfg["vocab_size"] for i in range(1, n)]
    model = GPT(cfg)
    model.load(read_safetensors(os.path.join(args.model, "model.safetensors"), cfg))
    with torch.no_grad():
        logits = model(torch.tensor([ids], dtype=torch.int64))[0].float().numpy()
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "logits.f32")
        logits.astype("<f4").tofile(f)
        r = subprocess.run(["npx", "tsx", "training/gpu/parity.ts", "--model", args.model, "--tokens",
                            ",".join(map(str, ids)), "--logits", f, "--tolerance", args.tolerance])
    print("torch %s, %d tokens, logits range [%.3f, %.3f]" % (torch.__version__, n, float(np.min(logits)), float(np.max(logits))))
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
