#!/usr/bin/env python3
"""
PyTorch trainer for the project's GPT-2 (optional path for a machine with a CUDA GPU; the CPU trainer,
training/native driven by `npm run train`, stays the default).

    python3 training/gpu/train_torch.py --config training/configs/embedded.json --out training/runs/NAME-gpu \
        [--train FILE] [--val FILE] [--meta FILE] [--batch-size B] [--steps N] [--max-minutes M] [--device cuda|cpu]

It trains exactly the model of src/model/gpt.ts (weights layout of src/model/weights.ts), on the same data
(uint16 token files + meta.json) with the same config file, learning-rate schedule, AdamW (weight decay on 2-D
tensors only) and initialisation as training/native, and writes what a native run writes, so the result goes
through training/export.ts and the evals like any run:

    OUT/log.jsonl                 one JSON event per line (TrainerEvent of training/trainer/run.ts, with "time")
    OUT/latest/, OUT/final/       config.json (Hugging Face GPT-2 keys), model.safetensors (F32), training.json

Differences from the native trainer, on purpose: the data RNG is torch's (other windows than the native run
draws for the same seed), optimizer "muon" and `git:` init_from are refused, and there is no resumable
checkpoint (latest/ is exported every checkpoint_minutes and on SIGINT/SIGTERM; it holds weights, no optimizer
state). On CUDA the matrix products run under bf16 autocast with fp32 master weights and optimizer state;
on CPU everything is fp32. Works with torch 1.13 (Debian 12) and torch 2.x.
"""
import argparse
import datetime
import json
import math
import os
import shutil
import signal
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# training/trainer/config.ts DEFAULTS (keep in step with it).
TRAINING_DEFAULTS = {
    "seq_len": 256, "batch_size": 16, "grad_accum": 1, "lr": 1e-3, "min_lr": 1e-4, "warmup_steps": 100,
    "weight_decay": 0.1, "grad_clip": 1.0, "beta1": 0.9, "beta2": 0.95, "eval_interval": 250, "eval_tokens": 131072,
    "max_minutes": 0, "decay_fraction": 0, "muon_momentum": 0.95, "checkpoint_minutes": 5, "log_interval": 10,
    "seed": 1337, "threads": 2,
}
DEFAULT_DATA = {"train": "data/corpus/train.bin", "val": "data/corpus/val.bin", "meta": "data/corpus/meta.json"}
ADAM_EPS = 1e-8  # the native trainer's --adam-eps default


def fail(msg, code=2):
    sys.stderr.write("train_torch: %s\n" % msg)
    sys.exit(code)


# ---------------------------------------------------------------------------------------------------------
# Config: the schema of training/trainer/config.ts loadTrainConfig.

def read_vocab_size(meta_path):
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: cannot read corpus meta.json (%s); set model.vocab_size or --meta" % (meta_path, e))
    v = meta.get("vocabSize", meta.get("vocab_size"))
    if not isinstance(v, int) or not 0 < v <= 65536:
        fail('%s: "vocabSize" must be an integer in [1, 65536] (uint16 tokens), got %r' % (meta_path, v))
    return v


def load_config(path, args):
    try:
        with open(path) as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: cannot read training config (%s)" % (path, e))
    name = raw.get("name", os.path.splitext(os.path.basename(path))[0])
    model = raw.get("model", {})
    training = dict(raw.get("training", {}))
    data = dict(DEFAULT_DATA, **raw.get("data", {}))
    for key in ("train", "val", "meta"):
        override = getattr(args, key)
        data[key] = os.path.abspath(override if override else data[key])
    known = set(TRAINING_DEFAULTS) | {"steps", "total_tokens", "optimizer", "precision"}
    for k in training:
        if k not in known:
            fail("%s: unknown setting training.%s" % (path, k))
    if training.get("optimizer", "adamw") != "adamw":
        fail('%s: training.optimizer "%s" is not implemented here (only "adamw"); use the native trainer' % (path, training["optimizer"]))
    hp = dict(TRAINING_DEFAULTS)
    hp.update({k: v for k, v in training.items() if k in TRAINING_DEFAULTS})
    if args.batch_size:
        hp["batch_size"] = args.batch_size
    if args.grad_accum:
        hp["grad_accum"] = args.grad_accum
    if args.max_minutes is not None:
        hp["max_minutes"] = args.max_minutes
    if args.eval_interval is not None:
        hp["eval_interval"] = args.eval_interval
    tokens_per_step = hp["seq_len"] * hp["batch_size"] * hp["grad_accum"]
    if args.steps:
        hp["steps"] = args.steps
    elif "steps" in training:
        hp["steps"] = training["steps"]
    elif "total_tokens" in training:
        hp["steps"] = -(-training["total_tokens"] // tokens_per_step)  # ceil, as config.ts
    else:
        fail("%s: training.steps or training.total_tokens must give at least one step" % path)
    cfg = {
        "vocab_size": model.get("vocab_size") or read_vocab_size(data["meta"]),
        "n_positions": model.get("n_positions"),
        "n_embd": model.get("n_embd"),
        "n_layer": model.get("n_layer"),
        "n_head": model.get("n_head"),
        "layer_norm_epsilon": model.get("layer_norm_epsilon", 1e-5),
        "bos_token_id": 0,
        "eos_token_id": 0,
    }
    for k in ("n_positions", "n_embd", "n_layer", "n_head"):
        if not isinstance(cfg[k], int) or cfg[k] <= 0:
            fail("%s: model.%s must be a positive integer, got %r" % (path, k, cfg[k]))
    if cfg["n_embd"] % cfg["n_head"]:
        fail("%s: n_embd (%d) must be divisible by n_head (%d)" % (path, cfg["n_embd"], cfg["n_head"]))
    if hp["seq_len"] > cfg["n_positions"]:
        fail("%s: training.seq_len (%d) exceeds model.n_positions (%d)" % (path, hp["seq_len"], cfg["n_positions"]))
    if not 0 <= hp["decay_fraction"] <= 1:
        fail("%s: training.decay_fraction must be in [0, 1]" % path)
    init_from = args.init_from or raw.get("init_from")
    if init_from is not None and init_from.startswith("git:"):
        fail('%s: init_from "%s": git: sources are not supported here; write that folder out '
             "(git show COMMIT:FOLDER/model.safetensors and config.json) and pass it with --init-from DIR" % (path, init_from))
    if init_from is not None:
        init_from = os.path.abspath(init_from)
    return name, cfg, hp, data, init_from


# ---------------------------------------------------------------------------------------------------------
# Weights: model.safetensors exactly as src/model/weights.ts encodeSafetensors writes it.

LAYER_TENSORS = [  # weights.ts LAYER_TENSORS: name suffix, shape(C)
    ("ln_1.weight", lambda C: [C]), ("ln_1.bias", lambda C: [C]),
    ("attn.c_attn.weight", lambda C: [C, 3 * C]), ("attn.c_attn.bias", lambda C: [3 * C]),
    ("attn.c_proj.weight", lambda C: [C, C]), ("attn.c_proj.bias", lambda C: [C]),
    ("ln_2.weight", lambda C: [C]), ("ln_2.bias", lambda C: [C]),
    ("mlp.c_fc.weight", lambda C: [C, 4 * C]), ("mlp.c_fc.bias", lambda C: [4 * C]),
    ("mlp.c_proj.weight", lambda C: [4 * C, C]), ("mlp.c_proj.bias", lambda C: [C]),
]


def tensor_layout(cfg):
    """Every tensor in file order: (name, shape), as weights.ts tensorLayout."""
    C = cfg["n_embd"]
    out = [("wte.weight", [cfg["vocab_size"], C]), ("wpe.weight", [cfg["n_positions"], C])]
    for i in range(cfg["n_layer"]):
        out += [("h.%d.%s" % (i, suffix), shape(C)) for suffix, shape in LAYER_TENSORS]
    return out + [("ln_f.weight", [C]), ("ln_f.bias", [C])]


def write_safetensors(path, cfg, tensors):
    """tensors: name -> torch tensor. Writes to path.tmp, then renames (a reader never sees half a file)."""
    header = {"__metadata__": {"format": "pt", "architecture": "gpt2"}}
    blobs, offset = [], 0
    for name, shape in tensor_layout(cfg):
        t = tensors[name]
        if list(t.shape) != shape:
            raise ValueError("tensor %s has shape %s, expected %s" % (name, list(t.shape), shape))
        data = t.detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":"))
    hjson += " " * ((8 - (8 + len(hjson.encode())) % 8) % 8)  # tensor data 8-byte aligned, as weights.ts
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(hjson.encode())))
        f.write(hjson.encode())
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def read_safetensors(path, cfg):
    """name -> float32 torch tensor, checked against cfg's layout."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode())
    out = {}
    for name, shape in tensor_layout(cfg):
        e = header.get(name)
        if e is None:
            raise ValueError("%s: tensor %s is missing" % (path, name))
        if e["dtype"] != "F32" or e["shape"] != shape:
            raise ValueError("%s: tensor %s is %s %s, expected F32 %s" % (path, name, e["dtype"], e["shape"], shape))
        a, b = e["data_offsets"]
        arr = np.frombuffer(raw, dtype="<f4", count=(b - a) // 4, offset=8 + n + a)
        out[name] = torch.from_numpy(arr.astype(np.float32).reshape(shape))
    return out


def read_model_config(folder):
    with open(os.path.join(folder, "config.json")) as f:
        j = json.load(f)
    return {k: j.get(k, d) for k, d in [("vocab_size", None), ("n_positions", None), ("n_embd", None), ("n_layer", None),
                                         ("n_head", None), ("layer_norm_epsilon", 1e-5), ("bos_token_id", 0), ("eos_token_id", 0)]}


def hf_config_json(cfg):
    """training/trainer/checkpoint.ts hfConfigJson."""
    return {
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": cfg["vocab_size"],
        "n_positions": cfg["n_positions"], "n_ctx": cfg["n_positions"], "n_embd": cfg["n_embd"],
        "n_layer": cfg["n_layer"], "n_head": cfg["n_head"], "n_inner": None, "activation_function": "gelu_new",
        "layer_norm_epsilon": cfg["layer_norm_epsilon"], "bos_token_id": cfg["bos_token_id"],
        "eos_token_id": cfg["eos_token_id"], "tie_word_embeddings": True, "resid_pdrop": 0, "embd_pdrop": 0,
        "attn_pdrop": 0,
    }


# ---------------------------------------------------------------------------------------------------------
# The model: src/model/gpt.ts, batched. Linear weights in GPT-2 Conv1D layout [in, out]: y = x W + b.

class GPT(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.names = []
        for name, shape in tensor_layout(cfg):
            self.register_parameter(name.replace(".", "_"), torch.nn.Parameter(torch.zeros(shape)))
            self.names.append(name)
        self.has_sdpa = hasattr(F, "scaled_dot_product_attention")  # torch >= 2.0 (flash attention on CUDA)

    def p(self, name):
        return getattr(self, name.replace(".", "_"))

    def named_layout(self):
        return [(n, self.p(n)) for n in self.names]

    def init_weights(self, seed):
        """training/native/gpt.c gpt_init: N(0, 0.02) for wte, wpe, c_attn, c_fc; N(0, 0.02/sqrt(2L)) for the two
        projections into the residual stream; layer norm weights 1; biases 0 (other random numbers than C's)."""
        g = torch.Generator().manual_seed(seed)
        proj_std = 0.02 / math.sqrt(2 * self.cfg["n_layer"])
        with torch.no_grad():
            for name, t in self.named_layout():
                if name.endswith("c_proj.weight"):
                    t.copy_(torch.randn(t.shape, generator=g) * proj_std)
                elif name.endswith(".weight") and t.dim() == 2:
                    t.copy_(torch.randn(t.shape, generator=g) * 0.02)
                elif "ln_" in name and name.endswith(".weight"):
                    t.fill_(1.0)
                else:
                    t.zero_()

    def load(self, tensors):
        with torch.no_grad():
            for name, t in self.named_layout():
                t.copy_(tensors[name])

    def forward(self, idx):
        """idx [B, T] int64 -> logits [B, T, V]."""
        cfg = self.cfg
        B, T = idx.shape
        C, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
        D = C // H
        x = F.embedding(idx, self.p("wte.weight")) + self.p("wpe.weight")[:T]
        for i in range(cfg["n_layer"]):
            w = lambda s: self.p("h.%d.%s" % (i, s))  # noqa: E731
            h = F.layer_norm(x, (C,), w("ln_1.weight"), w("ln_1.bias"), eps)
            qkv = h @ w("attn.c_attn.weight") + w("attn.c_attn.bias")  # [B, T, 3C] = q | k | v
            q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in qkv.split(C, dim=2))  # [B, H, T, D]
            if self.has_sdpa:
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # scale 1/sqrt(D)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))
                mask = torch.ones(T, T, dtype=torch.bool, device=idx.device).triu(1)
                att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
                y = att @ v
            y = y.transpose(1, 2).reshape(B, T, C)
            x = x + (y @ w("attn.c_proj.weight") + w("attn.c_proj.bias"))
            h = F.layer_norm(x, (C,), w("ln_2.weight"), w("ln_2.bias"), eps)
            h = F.gelu(h @ w("mlp.c_fc.weight") + w("mlp.c_fc.bias"), approximate="tanh")  # gelu_new
            x = x + (h @ w("mlp.c_proj.weight") + w("mlp.c_proj.bias"))
        x = F.layer_norm(x, (C,), self.p("ln_f.weight"), self.p("ln_f.bias"), eps)
        return x @ self.p("wte.weight").t()  # tied LM head


# ---------------------------------------------------------------------------------------------------------
# Data and schedule: training/native/train.c.

def open_tokens(path, vocab, need):
    try:
        arr = np.fromfile(path, dtype="<u2")
    except OSError as e:
        fail("%s: cannot open token file (%s)" % (path, e), 1)
    if arr.size < need:
        fail("%s: has %d tokens, needs at least %d (seq_len + 1)" % (path, arr.size, need), 1)
    top = int(arr.max())
    if top >= vocab:
        fail("%s: token %d is >= vocab_size %d (wrong meta.json?)" % (path, top, vocab), 1)
    return torch.from_numpy(arr.astype(np.int32))


def eval_starts(n, T, eval_tokens):
    """train.c evaluate(): min((n-1)/T, eval_tokens/T) windows of T+1 tokens spread evenly over val.bin."""
    windows = (n - 1) // T
    want = max(1, eval_tokens // T)
    windows = min(windows, want)
    stride = (n - 1 - T) // (windows - 1 if windows > 1 else 1)
    stride = max(stride, T)
    return [w * stride for w in range(windows)]


def lr_at(hp, step, elapsed):
    """train.c lr_at: linear warmup, then cosine (decay_fraction 0) or warmup-stable-decay; progress in steps, or in
    wall time when max_minutes is set and time is further along."""
    lr, min_lr, warm, steps = hp["lr"], hp["min_lr"], hp["warmup_steps"], hp["steps"]
    if step < warm:
        return lr * (step + 1) / warm
    progress = (step - warm) / (steps - warm) if steps > warm else 1.0
    max_seconds = hp["max_minutes"] * 60
    if max_seconds > 0:
        progress = max(progress, elapsed / max_seconds)
    progress = min(progress, 1.0)
    df = hp["decay_fraction"]
    if df > 0:
        stable = 1 - df
        if progress <= stable:
            return lr
        return min_lr + (lr - min_lr) * (1 - math.sqrt((progress - stable) / df))
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def flops_per_token(cfg, T):
    L, C, V = cfg["n_layer"], cfg["n_embd"], cfg["vocab_size"]
    return 6.0 * (L * 12 * C * C + V * C) + 6.0 * L * C * (T + 1)


# ---------------------------------------------------------------------------------------------------------

def corpus_has_fim(meta_path):
    try:
        with open(meta_path) as f:
            ex = json.load(f).get("fim", {}).get("examples")
        return isinstance(ex, (int, float)) and ex > 0
    except (OSError, ValueError, AttributeError):
        return False


def export_folder(model, cfg, out_dir, sub, provenance, meta_path):
    d = os.path.join(out_dir, sub)
    os.makedirs(d, exist_ok=True)
    fim = corpus_has_fim(meta_path)
    write_safetensors(os.path.join(d, "model.safetensors"), cfg, dict(model.named_layout()))
    config_json = dict({"fim": True} if fim else {}, **hf_config_json(cfg))  # the GPT-2 keys win, as checkpoint.ts
    with open(os.path.join(d, "config.json.tmp"), "w") as f:
        f.write(json.dumps(config_json, indent=2) + "\n")
    os.replace(os.path.join(d, "config.json.tmp"), os.path.join(d, "config.json"))
    with open(os.path.join(d, "training.json"), "w") as f:
        f.write(json.dumps(dict(provenance, fim=fim), indent=2) + "\n")
    tok = os.path.join(os.path.dirname(meta_path), "tokenizer")  # the corpus tokenizer, as run.ts copyTokenizer
    if os.path.isdir(tok):
        for name in os.listdir(tok):
            shutil.copyfile(os.path.join(tok, name), os.path.join(d, name))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="training/configs/NAME.json")
    ap.add_argument("--out", required=True, help="run directory (log.jsonl, latest/, final/)")
    ap.add_argument("--train"), ap.add_argument("--val"), ap.add_argument("--meta")
    ap.add_argument("--batch-size", type=int), ap.add_argument("--grad-accum", type=int)
    ap.add_argument("--steps", type=int, help="instead of the config's steps / total_tokens")
    ap.add_argument("--max-minutes", type=float, help="wall-time budget (0: none); the schedule decays by time too")
    ap.add_argument("--eval-interval", type=int)
    ap.add_argument("--init-from", help="model folder (config.json + model.safetensors) to start from")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (torch >= 2.0; falls back to eager on error)")
    args = ap.parse_args()

    name, cfg, hp, data, init_from = load_config(args.config, args)
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        fail("--device cuda, but torch sees no CUDA device")
    torch.manual_seed(int(hp["seed"]))
    if not cuda:
        torch.set_num_threads(int(hp["threads"]))
    B, T, accum = int(hp["batch_size"]), int(hp["seq_len"]), int(hp["grad_accum"])
    train = open_tokens(data["train"], cfg["vocab_size"], T + 1).to(dev)
    val = open_tokens(data["val"], cfg["vocab_size"], T + 1).to(dev)
    os.makedirs(args.out, exist_ok=True)
    log_file = open(os.path.join(args.out, "log.jsonl"), "a")

    def emit(ev):
        line = json.dumps(ev)
        print(line, flush=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        log_file.write(json.dumps(dict({"time": stamp}, **ev)) + "\n")
        log_file.flush()

    model = GPT(cfg)
    if init_from:
        src = read_model_config(init_from)
        for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
            if src[k] != cfg[k]:
                fail("init_from %s: %s is %s, the config says %s" % (init_from, k, src[k], cfg[k]))
        model.load(read_safetensors(os.path.join(init_from, "model.safetensors"), cfg))
    else:
        model.init_weights(0xD1B54A32 ^ int(hp["seed"]))
    model.to(dev)
    params = [t for _, t in model.named_layout()]
    groups = [
        {"params": [t for t in params if t.dim() == 2], "weight_decay": hp["weight_decay"]},  # gpt.c: is_2d only
        {"params": [t for t in params if t.dim() != 2], "weight_decay": 0.0},
    ]
    opt_kw = dict(lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=ADAM_EPS)
    try:
        opt = torch.optim.AdamW(groups, fused=True, **opt_kw) if cuda else torch.optim.AdamW(groups, **opt_kw)
    except (TypeError, RuntimeError):  # torch without fused AdamW
        opt = torch.optim.AdamW(groups, **opt_kw)

    forward = model
    if args.compile and hasattr(torch, "compile"):
        forward = torch.compile(model)
    precision = "bf16" if cuda else "fp32"
    hardware = ("%s, torch %s" % (torch.cuda.get_device_name(dev), torch.__version__)) if cuda else ("cpu, torch %s" % torch.__version__)
    kernels = ("torch cuda bf16 autocast (%s)" % torch.cuda.get_device_name(dev)) if cuda else "torch cpu fp32"
    if forward is not model:
        kernels += ", torch.compile"

    def autocast():
        if cuda:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)

    def loss_of(fwd, x, y):
        with autocast():
            logits = fwd(x)
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1))

    starts_val = torch.tensor(eval_starts(val.numel(), T, int(hp["eval_tokens"])), device=dev, dtype=torch.int64)
    offs = torch.arange(T + 1, device=dev)

    def evaluate():
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for i in range(0, starts_val.numel(), B):
                rows = val[(starts_val[i:i + B, None] + offs)].long()
                n = rows.size(0)
                total += loss_of(forward, rows[:, :-1], rows[:, 1:]).item() * n * T
                count += n * T
        model.train()
        return total / count, count

    gen = torch.Generator(device=dev)
    gen.manual_seed(0x9E3779B9 ^ int(hp["seed"]))
    fpt = flops_per_token(cfg, T)
    steps = int(hp["steps"])
    emit({"event": "start", "step": 0, "steps": steps, "params": sum(t.numel() for t in params), "tokens": 0,
          "train_tokens": train.numel(), "val_tokens": val.numel(), "flops_per_token": round(fpt),
          "threads": torch.get_num_threads(), "resumed": False, "optimizer": "adamw", "precision": precision})

    stop = {"signal": 0}

    def on_signal(sig, _frame):
        stop["signal"] = sig
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    max_seconds = hp["max_minutes"] * 60
    schedule = ("warmup-stable-decay (decay over the last %s%%)" % _num(hp["decay_fraction"] * 100)) if hp["decay_fraction"] > 0 else "cosine"

    def provenance(step, tokens, elapsed, extra):
        p = {"config": name, "step": step, "steps": steps, "tokens": tokens, "training_seconds": round(elapsed),
             "seq_len": T, "schedule": schedule, "precision": precision}
        if init_from:
            p["init_from"] = os.path.relpath(init_from)
        p.update({"trainer": "training/gpu/train_torch.py", "hardware": hardware, "batch_size": B, "grad_accum": accum})
        p.update(extra)
        return p

    t_start = time.time()
    last_export = t_start
    step, tokens, last_val = 0, 0, None
    # Step time = time between logged steps / steps between them: on CUDA the host runs ahead of the GPU until a
    # logged step reads the loss, so one step's own host time would say little.
    last_log_time, last_log_step = t_start, 0
    out_of_time = False
    while step < steps and not out_of_time:
        t0 = time.time()
        lr = lr_at(hp, step, t0 - t_start)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss_sum = torch.zeros((), device=dev)
        for _ in range(accum):
            starts = torch.randint(0, train.numel() - T, (B,), device=dev, generator=gen)
            rows = train[starts[:, None] + offs].long()
            loss = loss_of(forward, rows[:, :-1], rows[:, 1:])
            (loss / accum).backward()
            loss_sum += loss.detach() / accum
        # gpt.c: gradients scaled by grad_clip / norm when the global L2 norm is above grad_clip
        norm = torch.norm(torch.stack([t.grad.norm() for t in params]))
        if hp["grad_clip"] > 0:
            mult = torch.clamp(hp["grad_clip"] / norm, max=1.0)
            for t in params:
                t.grad.mul_(mult)
        opt.step()
        step += 1
        tokens += B * T * accum
        elapsed = time.time() - t_start
        out_of_time = max_seconds > 0 and elapsed >= max_seconds
        last = step == steps or out_of_time
        if step == 1:
            emit({"event": "matmul", "precision": precision, "kernels": kernels})
        log_now = hp["log_interval"] > 0 and (step % int(hp["log_interval"]) == 0 or last or step == 1)
        if log_now or stop["signal"]:
            loss_v, norm_v = loss_sum.item(), norm.item()  # syncs the GPU: only when logging
            if not (math.isfinite(loss_v) and math.isfinite(norm_v)):
                fail("loss or gradient is not finite at step %d (loss %g, grad norm %g); lower lr" % (step, loss_v, norm_v), 3)
            now = time.time()
            dt = (now - (t0 if step == 1 else last_log_time)) / max(1, step - (0 if step == 1 else last_log_step))
            last_log_time, last_log_step = now, step
            tps = B * T * accum / dt
            emit({"event": "step", "step": step, "loss": round(loss_v, 6), "lr": lr, "grad_norm": round(norm_v, 4),
                  "step_ms": round(dt * 1e3, 1), "tok_s": round(tps, 1), "gflops": round(tps * fpt * 1e-9, 2),
                  "tokens": tokens, "elapsed_s": round(time.time() - t_start, 1)})
        if hp["eval_interval"] > 0 and (step % int(hp["eval_interval"]) == 0 or last):
            t1 = time.time()
            last_val, used = evaluate()
            emit({"event": "eval", "step": step, "val_loss": round(last_val, 6), "val_tokens": used,
                  "eval_ms": round((time.time() - t1) * 1e3)})
            last_log_time += time.time() - t1  # not training time for the next step_ms
        if stop["signal"] or (not last and time.time() - last_export >= hp["checkpoint_minutes"] * 60):
            t1 = time.time()
            export_folder(model, cfg, args.out, "latest", provenance(step, tokens, t1 - t_start, {}), data["meta"])
            last_export = time.time()
            last_log_time += last_export - t1
        if stop["signal"]:
            break
    elapsed = time.time() - t_start
    finished = step >= steps or (max_seconds > 0 and elapsed >= max_seconds)
    if finished:
        extra = {"val_loss": last_val} if last_val is not None else {}
        d = export_folder(model, cfg, args.out, "final", provenance(step, tokens, elapsed, extra), data["meta"])
        sys.stderr.write("train_torch: finished: model written to %s\n" % d)
    emit({"event": "done", "step": step, "steps": steps, "finished": finished, "signal": stop["signal"]})
    log_file.close()


def _num(x):
    """A number as JavaScript's String() prints it (10 not 10.0), for the schedule text run.ts writes."""
    return str(int(x)) if float(x).is_integer() else repr(x)


if __name__ == "__main__":
    main()
