#!/usr/bin/env python3
"""The PyTorch peer of `npm run bench`'s training step: the lab's tiny post-LN BERT, one Adam step
on a random masked-language batch, timed on this machine.

The model is the "Export as PyTorch" script's own `Bert` (src/export/torch/templates/mat_train.py,
kept parameter for parameter equal to src/core/families/bert/model.ts by the export's tests), so the
step is the lab's: embeddings + LN, per layer the heads' q|k|v matmul (bias row), softmax attention,
output projection + bias, add & LN, ReLU FFN, add & LN; the MLM head at the masked rows (dense +
ReLU, LN, decoder tied to the token embedding + bias); mean cross-entropy over the masked
positions; Adam (β 0.9 / 0.999, ε 1e-8) over every parameter (the lab's vanilla step). fp32.

The config comes as one JSON object on argv[1] or stdin:
  {"layers", "heads", "dModel", "dFF", "seqLen", "vocab", "batch", "masked", "lr",
   "steps", "warmup"}
and one JSON line goes to stdout: {device, torch, threads, msPerStep (median), steps, warmup,
params, ...}. Threads are torch's default (not set here), recorded as they are.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src", "export", "torch", "templates"))

from mat_train import Bert, LabInit, mask_count  # noqa: E402 (the path above first)

NEED = ("layers", "heads", "dModel", "dFF", "seqLen", "vocab", "batch", "masked", "lr")


def read_config() -> dict:
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    cfg = json.loads(text)
    missing = [k for k in NEED if k not in cfg]
    if missing:
        raise SystemExit(f"torch_step.py: config lacks {', '.join(missing)}")
    # The lab's M = max(1, round(0.15·T)) is what the model's MLM head assumes; a config whose
    # `masked` disagrees describes another step.
    if cfg["masked"] != mask_count(cfg["seqLen"]):
        raise SystemExit(
            f"torch_step.py: masked {cfg['masked']} is not the lab's {mask_count(cfg['seqLen'])} for T {cfg['seqLen']}"
        )
    return cfg


def random_batch(cfg: dict, device: torch.device):
    """Random tokens [B, T], M distinct masked positions per row as flat indices, random targets."""
    B, T, V, M = cfg["batch"], cfg["seqLen"], cfg["vocab"], cfg["masked"]
    tokens = torch.randint(0, V, (B, T), device=device)
    cols = torch.rand(B, T, device=device).argsort(1)[:, :M].sort(1).values
    positions = (cols + torch.arange(B, device=device)[:, None] * T).reshape(-1)
    targets = torch.randint(0, V, (B * M,), device=device)
    return tokens, positions, targets


def main() -> None:
    cfg = read_config()
    steps = int(cfg.get("steps", 50))
    warmup = int(cfg.get("warmup", 5))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(1)
    model_cfg = {**cfg, "model": "bert", "modules": "heads"}
    model = Bert(model_cfg, LabInit(None)).to(device)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def step() -> float:
        # The batch is drawn inside the step, as the lab's timed `advance` samples its own.
        tokens, positions, targets = random_batch(cfg, device)
        opt.zero_grad(set_to_none=True)
        loss = model(tokens, positions, targets)
        loss.backward()
        opt.step()
        return loss.item()  # a sync, as the bench's `await loss.data()`

    for _ in range(warmup):
        step()
    sync()
    times = []
    last = math.nan
    for _ in range(steps):
        t0 = time.perf_counter()
        last = step()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(
        json.dumps(
            {
                "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                # The upper median, as bench/common.ts's `median`.
                "msPerStep": times[len(times) // 2],
                "meanMsPerStep": statistics.fmean(times),
                "steps": steps,
                "warmup": warmup,
                "params": params,
                "masked": cfg["masked"],
                # JSON has no NaN: a diverged loss is null (the bench's JSON.parse would refuse NaN).
                "lastLoss": last if math.isfinite(last) else None,
            }
        )
    )


if __name__ == "__main__":
    main()
