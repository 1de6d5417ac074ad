#!/usr/bin/env python3
"""
Proves the PyTorch model of train_torch.py is the project's model: loads a model folder (config.json +
model.safetensors) into it, computes fp32 logits on the CPU for fixed token ids, and has
training/gpu/parity.ts compare them with the reference forward pass of src/model/gpt.ts on the same folder.

    python3 training/gpu/check_parity.py MODEL_DIR [--tokens 16] [--tolerance 1e-4]

Run from the repository root (it calls `npx tsx`). Exit status 0 when the max abs difference is within tolerance.

    python3 training/gpu/check_parity.py MODEL_DIR --against-cpu [--device cuda]

On a machine without node (the GPU machine): compares the model on --device, on the path training uses there
(scaled_dot_product_attention where torch has it), in fp32, with the CPU fp32 path with explicit attention (the
path the first form checks against gpt.ts), so the two checks together tie the GPU path to the reference.
Also prints, for information, the difference under bf16 autocast (how training evaluates on CUDA).
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
    ap.add_argument("--against-cpu", action="store_true", help="compare --device with the CPU path instead of gpt.ts")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    cfg = read_model_config(args.model)
    n = min(args.tokens, cfg["n_positions"])
    # fixed ids spread over the vocabulary (0 = <|endoftext|> first, as documents start)
    ids = [0] + [(i * 7919 + 13) % cfg["vocab_size"] for i in range(1, n)]
    model = GPT(cfg)
    model.load(read_safetensors(os.path.join(args.model, "model.safetensors"), cfg))
    if args.against_cpu:
        sys.exit(against_cpu(model, ids, torch.device(args.device), float(args.tolerance)))
    with torch.no_grad():
        logits = model(torch.tensor([ids], dtype=torch.int64))[0].float().numpy()
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "logits.f32")
        logits.astype("<f4").tofile(f)
        r = subprocess.run(["npx", "tsx", "training/gpu/parity.ts", "--model", args.model, "--tokens",
                            ",".join(map(str, ids)), "--logits", f, "--tolerance", args.tolerance])
    print("torch %s, %d tokens, logits range [%.3f, %.3f]" % (torch.__version__, n, float(np.min(logits)), float(np.max(logits))))
    sys.exit(r.returncode)


def against_cpu(model, ids, dev, tolerance):
    x = torch.tensor([ids], dtype=torch.int64)
    with torch.no_grad():
        sdpa = model.has_sdpa
        model.has_sdpa = False  # explicit attention: the path checked against gpt.ts
        ref = model(x)[0].float()
        model.has_sdpa = sdpa
        model.to(dev)
        got = model(x.to(dev))[0].float().cpu()
        diff = (got - ref).abs().max().item()
        bf16 = None
        if dev.type == "cuda":
            with torch.autocast("cuda", dtype=torch.bfloat16):
                bf16 = (model(x.to(dev))[0].float().cpu() - ref).abs().max().item()
    ok = diff <= tolerance
    print("torch %s on %s (sdpa %s): fp32 max |logit diff| vs CPU explicit attention %.3g (tolerance %g) %s%s"
          % (torch.__version__, dev, model.has_sdpa, diff, tolerance, "ok" if ok else "FAILED",
             "" if bf16 is None else "; under bf16 autocast %.3g (information)" % bf16))
    return 0 if ok else 1


if __name__ == "__main__":
    main()
