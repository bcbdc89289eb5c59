#!/usr/bin/env python3
"""MAT Lab's experiment as a PyTorch training script (written by MAT Lab's "Export as PyTorch").

Modular Adaptive Training as MAT Lab reads it (docs/method.md of the lab): every K steps each
module's modular NTK λmax is computed on a fixed probe batch (or, with kernel=step, on the first n
samples of the training batch); after a warm-up a module trains only while λmax ≥ α · ref(λmax of
its kind) and its λmax has not settled (relative change < β over `window` evaluations). Random
matched-budget and progressive freezing are the baselines; vanilla trains everything.

What this script shares with the lab (checked by the lab's CI, src/export/torch/torch-export.test.ts):
  - the model families `bert` and `vgg`, parameter for parameter (names and shapes of the lab's
    run files, so weights move both ways);
  - the fast mNTK estimator: zero taps on every module's output, one forward and one backward over
    the probe replicated R' times, per-sample gradient products, Θ_m = w · Σ_r G_r G_rᵀ; exact trace
    (k ≤ 16 outputs), Rademacher-projected trace (k > 16, jackknife standard error) or loss kernel;
  - the rules (α, β, warm-up, K, window, ref, stop = recheck | sticky), random matched budget with
    the lab's random generator (same seed, same picks), progressive freezing, manual overrides and
    α/β changes replayed from the config's `events`;
  - the lab's random streams (sfc32, forked by label): same probe batch, projections, initial
    weights, data order and validation masks as the lab for the same seed;
  - the FLOP formulas (src/core/flops.ts and src/core/families/*/flops.ts of the lab);
  - the run-file format (docs/run-format.md): `--out run.json` imports into the lab.

Not covered: the model families `switch` (Switch Transformer) and `mlp` (2D toy MLP) — the script
refuses them with a message. The `step` kernel is computed in a pass of its own over the batch's
first n samples (same values as the lab's, which takes them from the training step's own pass), so
it is charged as a loss-kernel evaluation on n samples, not as the lab's cheaper fused evaluation.

Distributed: `torchrun --nproc_per_node=N mat_train.py …` runs DistributedDataParallel (gloo on
CPU, nccl on CUDA). The global batch `batch` is split evenly over the ranks (so N processes train
the same run as one); λmax is computed on rank 0 and the decisions are broadcast; frozen modules get
requires_grad=False, so they leave the optimizer's work and the backward pass, and with
--ddp-freeze=rebuild (default) the DDP wrapper is rebuilt on each change so their gradients leave
the all-reduce too (--ddp-freeze=find-unused keeps one wrapper with find_unused_parameters=True).

Usage (see README.md next to this file):
  python3 prepare_data.py --source <lab URL or lab checkout's public/data>
  python3 mat_train.py --steps 200 --out run.json
  torchrun --nproc_per_node=2 mat_train.py --steps 200 --out run.json
  python3 mat_train.py check lab-run.json --out check.json
Written for PyTorch ≥ 1.13 (Debian 12's python3-torch) and numpy.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

SCRIPT_FORMAT = 1
SUPPORTED_MODELS = ("bert", "vgg")
NOT_COVERED = {
    "switch": "the Switch Transformer (routing, capacity, experts) is not ported",
    "mlp": "the 2D toy MLP is not ported (it trains in a browser tab in seconds)",
}

# ----------------------------------------------------------------------------------------------
# The lab's random streams (src/core/rng.ts): sfc32 keyed by the seed and a chain of fork labels.
# ----------------------------------------------------------------------------------------------
M32 = 0xFFFFFFFF
TWO_32 = 4294967296


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def mix32(x: int) -> int:
    x &= M32
    x = _imul(x ^ (x >> 16), 0x21F0AAAD)
    x = _imul(x ^ (x >> 15), 0x735A2D97)
    return (x ^ (x >> 15)) & M32


def hash_label(label: str, salt: int) -> int:
    """FNV-1a over UTF-16 code units, then mixed (as the lab's hashLabel)."""
    h = (0x811C9DC5 ^ salt) & M32
    units = label.encode("utf-16-le")
    count = len(units) // 2
    for i in range(count):
        h = _imul(h ^ (units[2 * i] | (units[2 * i + 1] << 8)), 0x01000193)
    return mix32(h ^ count)


class Rng:
    """The lab's sfc32 stream: next() in [0, 1), int(n), normal() (Box–Muller), fork(label)."""

    def __init__(self, k0: int, k1: int):
        self.k0, self.k1 = k0, k1
        self.a = mix32(k0 ^ 0x9E3779B9)
        self.b = mix32(k1 ^ 0x85EBCA6B)
        self.c = mix32((k0 + k1 + 0xC2B2AE35) & M32)
        self.d = 1
        self.spare = None
        for _ in range(12):
            self.u32()

    def u32(self) -> int:
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        self.d = (d + 1) & M32
        self.a = b ^ (b >> 9)
        self.b = (c + (c << 3)) & M32
        c = ((c << 21) | (c >> 11)) & M32
        self.c = (c + t) & M32
        return t

    def next(self) -> float:
        return self.u32() / TWO_32

    def int(self, n: int) -> int:
        if n < 1 or n > TWO_32:
            raise ValueError(f"Rng.int needs an integer n in 1 … 2^32, got {n}.")
        limit = TWO_32 - (TWO_32 % n)
        u = self.u32()
        while u >= limit:
            u = self.u32()
        return u % n

    def normal(self) -> float:
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        r = math.sqrt(-2 * math.log(1 - self.next()))
        theta = 2 * math.pi * self.next()
        self.spare = r * math.sin(theta)
        return r * math.cos(theta)

    def fork(self, label: str) -> "Rng":
        c0 = mix32((self.k0 ^ hash_label(label, 0x5BD1E995)) & M32)
        c1 = mix32((self.k1 + mix32(c0 ^ hash_label(label, 0x27D4EB2F))) & M32)
        return Rng(c0, c1)


def create_rng(seed: int) -> Rng:
    lo = seed & M32
    hi = (seed // TWO_32) & M32
    return Rng(mix32(lo), mix32(hi ^ 0x6A09E667))


# ----------------------------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------------------------


class ConfigError(ValueError):
    """A config this script cannot run; the message names the field."""


def load_config(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: the config must be a JSON object (the lab's experiment).")
    return check_config(cfg)


def check_config(cfg: dict) -> dict:
    model = cfg.get("model")
    if model in NOT_COVERED:
        raise ConfigError(f"model: '{model}' is not covered by this script: {NOT_COVERED[model]}.")
    if model not in SUPPORTED_MODELS:
        raise ConfigError(f"model: expected one of {', '.join(SUPPORTED_MODELS)}, got {model!r}.")
    need = {
        "bert": ["layers", "heads", "dModel", "dFF", "seqLen", "vocab"],
        "vgg": ["channels", "groupSize", "images"],
    }[model] + ["batch", "lr", "policy", "alpha", "beta", "K", "warmup", "window", "ref", "stop",
                "probe", "R", "kernel", "seed", "valEvery", "valBatches", "progSpan"]
    for key in need:
        if key not in cfg:
            raise ConfigError(f"{key}: missing from the config.")
    if cfg["policy"] not in ("vanilla", "mat", "random", "progressive"):
        raise ConfigError(f"policy: unknown policy {cfg['policy']!r}.")
    if cfg["kernel"] not in ("trace", "loss", "step"):
        raise ConfigError(f"kernel: unknown kernel {cfg['kernel']!r}.")
    if cfg["ref"] not in ("mean", "median", "max"):
        raise ConfigError(f"ref: unknown reference {cfg['ref']!r}.")
    if cfg["stop"] not in ("recheck", "sticky"):
        raise ConfigError(f"stop: unknown stop mode {cfg['stop']!r}.")
    if model == "bert":
        if cfg["dModel"] % cfg["heads"] != 0:
            raise ConfigError("dModel: must be divisible by heads.")
        kinds = cfg.get("modules", "heads").split(",")
        bad = [k for k in kinds if k not in ("heads", "ffn", "embed", "shared")]
        if bad or "heads" not in kinds:
            raise ConfigError(f"modules: expected heads[,ffn][,embed][,shared], got {cfg.get('modules')!r}.")
    else:
        chans = [int(c) for c in str(cfg["channels"]).split(",")]
        if any(c % cfg["groupSize"] for c in chans):
            raise ConfigError("channels: every channel count must be a multiple of groupSize.")
    if cfg["kernel"] == "step" and cfg["probe"] > cfg["batch"]:
        raise ConfigError("kernel: the step kernel takes its n samples from the batch: needs probe ≤ batch.")
    cfg.setdefault("events", [])
    cfg.setdefault("modules", "heads")
    return cfg


def selection_of(cfg: dict) -> dict:
    kinds = cfg.get("modules", "heads").split(",")
    return {"ffn": "ffn" in kinds, "embed": "embed" in kinds, "shared": "shared" in kinds}


# ----------------------------------------------------------------------------------------------
# Data (the lab's public/data layout, written by prepare_data.py)
# ----------------------------------------------------------------------------------------------
PAD, UNK, MASK, SEP, NUM_SPECIAL = 0, 1, 2, 3, 4
MASK_RATE, P_MASK, P_RANDOM = 0.15, 0.8, 0.1
FASHION_MEAN = 0.2860405969804586
FASHION_STD = 0.3530242445185261
FASHION_VAL_START, FASHION_VAL_COUNT = 5000, 1000


def mask_count(T: int) -> int:
    return max(1, math.floor(MASK_RATE * T + 0.5))


def read_u16(path: str) -> np.ndarray:
    data = np.fromfile(path, dtype="<u2")
    if data.size == 0:
        raise ValueError(f"{path} is empty.")
    return data


def load_corpus(data_dir: str, V: int) -> dict:
    base = os.path.join(data_dir, "austen")
    if not os.path.isdir(base):
        raise FileNotFoundError(f"{base} not found: run prepare_data.py first (or pass --data).")
    cap = lambda ids: np.where(ids < V, ids, UNK).astype(np.int64)  # noqa: E731 (the lab's capVocab)
    return {"train": cap(read_u16(os.path.join(base, "train.bin"))),
            "val": cap(read_u16(os.path.join(base, "val.bin")))}


def _fill_row(inputs, positions, targets, b, stream, start, V, rng, T, M):
    row = b * T
    inputs[row:row + T] = stream[start:start + T]
    scratch = list(range(T))
    for j in range(M):
        k = j + rng.int(T - j)
        scratch[j], scratch[k] = scratch[k], scratch[j]
    chosen = sorted(scratch[:M])
    for j in range(M):
        flat = row + chosen[j]
        positions[b * M + j] = flat
        targets[b * M + j] = inputs[flat]
        u = rng.next()
        if u < P_MASK:
            inputs[flat] = MASK
        elif u < P_MASK + P_RANDOM:
            inputs[flat] = NUM_SPECIAL + rng.int(V - NUM_SPECIAL)


def _empty_mlm(B: int, T: int):
    M = mask_count(T)
    return np.zeros(B * T, np.int64), np.zeros(B * M, np.int64), np.zeros(B * M, np.int64)


def sample_mlm_batch(stream: np.ndarray, B: int, T: int, V: int, rng: Rng) -> dict:
    """The lab's sampleMlmBatch: B windows, uniform starts, 15 % masked by the 80/10/10 rule."""
    inputs, positions, targets = _empty_mlm(B, T)
    M = mask_count(T)
    for b in range(B):
        start = rng.int(len(stream) - T + 1)
        _fill_row(inputs, positions, targets, b, stream, start, V, rng, T, M)
    return {"inputs": inputs, "positions": positions, "targets": targets, "n": B, "T": T, "M": M}


def fixed_mlm_batches(stream, count, B, T, V, rng) -> list:
    """The lab's fixedMlmBatches: evenly spaced windows, masks from `rng`."""
    windows = count * B
    span = len(stream) - T
    M = mask_count(T)
    out = []
    for i in range(count):
        inputs, positions, targets = _empty_mlm(B, T)
        for b in range(B):
            w = i * B + b
            start = 0 if windows == 1 else (w * span) // (windows - 1)
            _fill_row(inputs, positions, targets, b, stream, start, V, rng, T, M)
        out.append({"inputs": inputs, "positions": positions, "targets": targets, "n": B, "T": T, "M": M})
    return out


def standardise(pixels: np.ndarray) -> np.ndarray:
    scale = 1 / (255 * FASHION_STD)
    shift = FASHION_MEAN / FASHION_STD
    return (pixels.astype(np.float64) * scale - shift).astype(np.float32)


def _idx(path: str, magic: int, header: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    found, count = int.from_bytes(raw[0:4], "big"), int.from_bytes(raw[4:8], "big")
    if found != magic:
        raise ValueError(f"{path}: magic number {found}, not {magic}: not an IDX file.")
    body = np.frombuffer(raw[header:], np.uint8)
    per = 784 if magic == 2051 else 1
    if body.size != count * per:
        raise ValueError(f"{path}: {body.size} bytes for {count} items.")
    return body


def load_fashion(data_dir: str, images: int) -> dict:
    """The lab's fashionSplits: validation = training images 5000 … 5999, training = the first
    `images` of the rest; the committed subset for ≤ 5000 images, else the full IDX files."""
    base = os.path.join(data_dir, "fashion-mnist")
    if not os.path.isdir(base):
        raise FileNotFoundError(f"{base} not found: run prepare_data.py first (or pass --data).")
    if images <= FASHION_VAL_START:
        px = np.fromfile(os.path.join(base, "subset-train.bin"), np.uint8)
        y = np.fromfile(os.path.join(base, "subset-train-labels.bin"), np.uint8)
    else:
        px = _idx(os.path.join(base, "full", "train-images-idx3-ubyte.gz"), 2051, 16)
        y = _idx(os.path.join(base, "full", "train-labels-idx1-ubyte.gz"), 2049, 8)
    count = px.size // 784
    if count * 784 != px.size or y.size != count:
        raise ValueError("fashion-mnist: the image and label files do not match.")
    x = standardise(px).reshape(count, 784)
    y = y.astype(np.int64)
    end = FASHION_VAL_START + FASHION_VAL_COUNT
    if images > count - FASHION_VAL_COUNT:
        raise ValueError(f"images: {images} asked for, the files hold {count - FASHION_VAL_COUNT}.")
    head = slice(0, min(images, FASHION_VAL_START))
    tx, ty = x[head], y[head]
    if images > FASHION_VAL_START:
        extra = slice(end, end + images - FASHION_VAL_START)
        tx, ty = np.concatenate([tx, x[extra]]), np.concatenate([ty, y[extra]])
    return {"train_x": tx, "train_y": ty, "val_x": x[FASHION_VAL_START:end], "val_y": y[FASHION_VAL_START:end]}


def sample_image_batch(data: dict, B: int, rng: Rng) -> dict:
    idx = [rng.int(len(data["train_y"])) for _ in range(B)]
    return {"x": data["train_x"][idx], "y": data["train_y"][idx], "n": B}


# ----------------------------------------------------------------------------------------------
# Models (the lab's names and shapes: docs/run-format.md "Per family")
# ----------------------------------------------------------------------------------------------
INIT_STD = 0.02
LN_EPS = 1e-5


class LabInit:
    """Weights drawn as the lab's VariableFactory does: N(0, std²) in row-major order from the
    run's `init` stream, float64 then rounded to float32; the last `zero_tail` entries zero."""

    def __init__(self, rng: Rng | None):
        self.rng = rng

    def normal(self, shape, std, zero_tail=0):
        n = int(np.prod(shape))
        if self.rng is None:  # torch's generator (seeded by the caller)
            v = (torch.randn(n, dtype=torch.float64) * std).numpy()
        else:
            v = np.array([self.rng.normal() * std for _ in range(n - zero_tail)] + [0.0] * zero_tail)
        if zero_tail:
            v[n - zero_tail:] = 0
        return torch.tensor(v.astype(np.float32).reshape(shape))


def layer_norm(x, g, b):
    return normalise(x) * g + b


def normalise(x):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) * torch.rsqrt(var + LN_EPS)


class LabModule(nn.Module):
    """Parameters kept by the lab's names (`L0.H1.qkv`, `C2.G0.w`, …) in the lab's order."""

    def __init__(self):
        super().__init__()
        self.named: dict[str, nn.Parameter] = {}

    def add(self, name: str, value: torch.Tensor) -> None:
        p = nn.Parameter(value)
        self.register_parameter(name.replace(".", "_"), p)
        self.named[name] = p

    def module_params(self, m: int) -> list[nn.Parameter]:
        return [self.named[n] for n in self.module_names(m)]

    def load_lab_weights(self, weights: list) -> None:
        by = {w["name"]: w for w in weights}
        for name, p in self.named.items():
            if name not in by:
                raise ValueError(f"weights: the run file has no variable {name}.")
            w = by[name]
            if list(w["shape"]) != list(p.shape):
                raise ValueError(f"weights.{name}: shape {w['shape']}, the model has {list(p.shape)}.")
            vals = [math.nan if v is None else v for v in w["values"]]
            with torch.no_grad():
                p.copy_(torch.tensor(vals, dtype=torch.float64).reshape(p.shape).to(p.dtype))

    def export_weights(self) -> list:
        return [{"name": n, "shape": list(self.named[n].shape), "values": finite_list(self.named[n])}
                for n in self.export_order()]


class Bert(LabModule):
    """The lab's tiny BERT (families/bert/model.ts): post-LayerNorm encoder, heads as separate
    parameters (q|k|v with bias row, output rows), ReLU FFN, MLM head tied to the token embedding."""

    def __init__(self, cfg: dict, init: LabInit):
        super().__init__()
        L, H, d, f, T, V = (cfg[k] for k in ("layers", "heads", "dModel", "dFF", "seqLen", "vocab"))
        self.L, self.H, self.d, self.f, self.T, self.V = L, H, d, f, T, V
        self.dh = d // H
        self.M = mask_count(T)
        self.sel = selection_of(cfg)
        dh = self.dh
        self.add("tokEmb", init.normal([V, d], INIT_STD))
        self.add("posEmb", init.normal([T, d], INIT_STD))
        self.add("embLnG", torch.ones(d))
        self.add("embLnB", torch.zeros(d))
        self.modules_info = []
        for layer in range(L):
            for h in range(H):
                self.add(f"L{layer}.H{h}.qkv", init.normal([d + 1, 3 * dh], INIT_STD, zero_tail=3 * dh))
                self.add(f"L{layer}.H{h}.o", init.normal([dh, d], INIT_STD))
                self.modules_info.append({"id": f"L{layer}.H{h}", "kind": "head", "layer": layer,
                                          "index": h, "params": (d + 1) * 3 * dh + dh * d})
            self.add(f"L{layer}.bo", torch.zeros(d))
            self.add(f"L{layer}.ln1g", torch.ones(d))
            self.add(f"L{layer}.ln1b", torch.zeros(d))
            self.add(f"L{layer}.w1", init.normal([d, f], INIT_STD))
            self.add(f"L{layer}.b1", torch.zeros(f))
            self.add(f"L{layer}.w2", init.normal([f, d], INIT_STD))
            self.add(f"L{layer}.b2", torch.zeros(d))
            self.add(f"L{layer}.ln2g", torch.ones(d))
            self.add(f"L{layer}.ln2b", torch.zeros(d))
        self.add("mlmW", init.normal([d, d], INIT_STD))
        self.add("mlmB", torch.zeros(d))
        self.add("mlmLnG", torch.ones(d))
        self.add("mlmLnB", torch.zeros(d))
        self.add("decB", torch.zeros(V))
        if self.sel["ffn"]:
            for layer in range(L):
                self.modules_info.append({"id": f"L{layer}.F", "kind": "ffn", "layer": layer, "index": 0,
                                          "params": d * f + f + f * d + d})
        if self.sel["embed"]:
            self.modules_info.append({"id": "E", "kind": "embed", "layer": 0, "index": 0,
                                      "params": V * d + T * d + 2 * d})
        self.groups = [[(list(range(H)), None)] for _ in range(L)]

    EMBED = ["tokEmb", "posEmb", "embLnG", "embLnB"]

    def ffn_names(self, layer):
        return [f"L{layer}.w1", f"L{layer}.b1", f"L{layer}.w2", f"L{layer}.b2"]

    def module_names(self, m: int) -> list[str]:
        info = self.modules_info[m]
        if info["kind"] == "head":
            return [f"{info['id']}.qkv", f"{info['id']}.o"]
        if info["kind"] == "ffn":
            return self.ffn_names(info["layer"])
        return list(self.EMBED)

    def ffn_modules(self, layer):
        return [self.L * self.H + layer] if self.sel["ffn"] else []

    def shared_parts(self) -> list:
        if not self.sel["shared"]:
            return []
        parts = []
        for layer in range(self.L):
            parts.append(([f"L{layer}.bo", f"L{layer}.ln1g", f"L{layer}.ln1b"],
                          [layer * self.H + h for h in range(self.H)]))
            if self.ffn_modules(layer):
                parts.append(([f"L{layer}.ln2g", f"L{layer}.ln2b"], self.ffn_modules(layer)))
        return parts

    def backbone_names(self) -> list[str]:
        out = [] if self.sel["embed"] else list(self.EMBED)
        for layer in range(self.L):
            if not self.sel["shared"]:
                out += [f"L{layer}.bo", f"L{layer}.ln1g", f"L{layer}.ln1b"]
            if not (self.sel["shared"] and self.ffn_modules(layer)):
                out += ([] if self.sel["ffn"] else self.ffn_names(layer)) + [f"L{layer}.ln2g", f"L{layer}.ln2b"]
        return out + ["mlmW", "mlmB", "mlmLnG", "mlmLnB", "decB"]

    def export_order(self) -> list[str]:
        names = self.backbone_names()
        for m in range(len(self.modules_info)):
            names += self.module_names(m)
        for part, _ in self.shared_parts():
            names += part
        return names

    def set_groups(self, updating: list[bool]) -> None:
        """Each layer's heads as an updated and a frozen group, one matmul each; the frozen
        group's weights concatenated once here, detached (no weight gradient)."""
        P = self.named
        self.groups = []
        for layer in range(self.L):
            on = [h for h in range(self.H) if updating[layer * self.H + h]]
            off = [h for h in range(self.H) if not updating[layer * self.H + h]]
            groups = []
            if on:
                groups.append((on, None))
            if off:
                cached = (torch.cat([P[f"L{layer}.H{h}.qkv"] for h in off], 1).detach(),
                          torch.cat([P[f"L{layer}.H{h}.o"] for h in off], 0).detach())
                groups.append((off, cached))
            self.groups.append(groups)

    def forward(self, tokens, positions, targets=None, taps=None, capture=None):
        """Logits at the masked positions [N·M, V], or with `targets` the mean cross-entropy.
        With `taps` every layer runs all heads as one group and the taps are added to the module
        outputs (q|k|v, attention output, FFN hidden and output, embeddings); `capture` keeps the
        inputs of those maps."""
        P = self.named
        N, T = tokens.shape
        d, dh = self.d, self.dh
        taps = taps or {}
        x = P["tokEmb"][tokens.reshape(-1)] + P["posEmb"].repeat(N, 1)
        if "pre" in taps:
            xhat = normalise(x + taps["pre"])
            capture["xhat"] = xhat
            x = xhat * P["embLnG"] + P["embLnB"] + taps["post"]
        else:
            x = layer_norm(x, P["embLnG"], P["embLnB"])
        for layer in range(self.L):
            groups = [(list(range(self.H)), None)] if "qkv" in taps else self.groups[layer]
            x_aug = torch.cat([x, torch.ones(N * T, 1, dtype=x.dtype, device=x.device)], 1)
            if capture is not None:
                capture.setdefault("xAug", []).append(x_aug)
            y = None
            ctx_parts = []
            for heads, cached in groups:
                g = len(heads)
                if cached is None:
                    wqkv = torch.cat([P[f"L{layer}.H{h}.qkv"] for h in heads], 1)
                    wo = torch.cat([P[f"L{layer}.H{h}.o"] for h in heads], 0)
                else:
                    wqkv, wo = cached
                qkv = x_aug @ wqkv
                if "qkv" in taps:
                    qkv = qkv + taps["qkv"][layer]
                hd = qkv.reshape(N, T, g, 3 * dh).permute(0, 2, 1, 3)
                q = hd[..., :dh] * (1 / math.sqrt(dh))
                k = hd[..., dh:2 * dh]
                v = hd[..., 2 * dh:]
                probs = torch.softmax(q @ k.transpose(-1, -2), -1)
                ctx = (probs @ v).permute(0, 2, 1, 3).reshape(N * T, g * dh)
                ctx_parts.append(ctx)
                yg = ctx @ wo
                y = yg if y is None else y + yg
            if capture is not None:
                capture.setdefault("ctx", []).append(torch.cat(ctx_parts, 1))
            attn = y + P[f"L{layer}.bo"]
            if "y" in taps:
                attn = attn + taps["y"][layer]
            x = layer_norm(x + attn, P[f"L{layer}.ln1g"], P[f"L{layer}.ln1b"])
            hpre = x @ P[f"L{layer}.w1"] + P[f"L{layer}.b1"]
            if "h" in taps:
                if capture is not None:
                    capture.setdefault("ffnIn", []).append(x)
                hpre = hpre + taps["h"][layer]
            a = torch.relu(hpre)
            if "h" in taps and capture is not None:
                capture.setdefault("hidden", []).append(a)
            out = a @ P[f"L{layer}.w2"] + P[f"L{layer}.b2"]
            if "out" in taps:
                out = out + taps["out"][layer]
            x = layer_norm(x + out, P[f"L{layer}.ln2g"], P[f"L{layer}.ln2b"])
        t = torch.relu(x[positions] @ P["mlmW"] + P["mlmB"])
        tn = layer_norm(t, P["mlmLnG"], P["mlmLnB"])
        if capture is not None:
            capture["tn"] = tn
        logits = tn @ P["tokEmb"].t() + P["decB"]
        if "logits" in taps:
            logits = logits + taps["logits"]
        if targets is None:
            return logits
        return F.cross_entropy(logits, targets)


class Vgg(LabModule):
    """The lab's small VGG (families/vgg/model.ts): 3 × 3 same convs + bias + ReLU, two per stage,
    2 × 2 max-pool after each stage, one dense classifier; no BatchNorm. Filters stored in the
    lab's layout [3, 3, c_in, g] (permuted for F.conv2d); images NCHW here, NHWC flatten order."""

    def __init__(self, cfg: dict, init: LabInit):
        super().__init__()
        self.channels = [int(c) for c in str(cfg["channels"]).split(",")]
        self.g = g = cfg["groupSize"]
        self.classes = 10
        self.convs = []
        cin, side = 1, 28
        for s, c in enumerate(self.channels):
            for j in range(2):
                self.convs.append({"cin": cin, "cout": c, "side": side, "groups": c // g, "pool": j == 1})
                cin = c
            side //= 2
        self.final_side, self.features = side, side * side * cin
        self.modules_info = []
        self.offset = []
        for layer, c in enumerate(self.convs):
            std = math.sqrt(2 / (9 * c["cin"]))
            self.offset.append(len(self.modules_info))
            for q in range(c["groups"]):
                self.add(f"C{layer}.G{q}.w", init.normal([3, 3, c["cin"], g], std))
                self.add(f"C{layer}.G{q}.b", torch.zeros(g))
                self.modules_info.append({"id": f"C{layer}.G{q}", "kind": "filters", "layer": layer,
                                          "index": q, "params": 9 * c["cin"] * g + g})
        self.add("dense.w", init.normal([self.features, self.classes], math.sqrt(1 / self.features)))
        self.add("dense.b", torch.zeros(self.classes))
        self.plan = None

    def module_names(self, m):
        i = self.modules_info[m]["id"]
        return [f"{i}.w", f"{i}.b"]

    def shared_parts(self):
        return []

    def backbone_names(self):
        return ["dense.w", "dense.b"]

    def export_order(self):
        names = self.backbone_names()
        for m in range(len(self.modules_info)):
            names += self.module_names(m)
        return names

    def _filters(self, layer, groups, detach=False):
        w = torch.cat([self.named[f"C{layer}.G{q}.w"] for q in groups], 3).permute(3, 2, 0, 1)
        b = torch.cat([self.named[f"C{layer}.G{q}.b"] for q in groups], 0)
        return (w.detach().contiguous(), b.detach()) if detach else (w, b)

    def set_groups(self, updating):
        """Per conv layer an updated part and a frozen part, one conv each; the frozen part's
        filters concatenated once here, detached (no filter gradient); outputs put back in
        canonical channel order by one gather (0 FLOPs by the lab's conventions)."""
        self.plan = []
        g = self.g
        for layer, c in enumerate(self.convs):
            o = self.offset[layer]
            on = [q for q in range(c["groups"]) if updating[o + q]]
            off = [q for q in range(c["groups"]) if not updating[o + q]]
            parts = []
            if on:
                parts.append((on, None))
            if off:
                parts.append((off, self._filters(layer, off, detach=True)))
            physical = [q * g + j for q in on + off for j in range(g)]
            inverse = None
            if physical != list(range(c["cout"])):
                inverse = torch.tensor(np.argsort(physical), dtype=torch.long)
            self.plan.append((parts, inverse))

    def forward(self, x, targets=None, taps=None, capture=None):
        h = x
        for layer, c in enumerate(self.convs):
            if capture is not None:
                capture.append(h)
            if taps is not None or self.plan is None:
                w, b = self._filters(layer, range(c["groups"]))
                z = F.conv2d(h, w, b, padding=1)
            else:
                parts, inverse = self.plan[layer]
                zs = []
                for groups, cached in parts:
                    w, b = cached if cached is not None else self._filters(layer, groups)
                    zs.append(F.conv2d(h, w, b, padding=1))
                z = zs[0] if len(zs) == 1 else torch.cat(zs, 1)
                if inverse is not None:
                    z = z.index_select(1, inverse.to(z.device))
            if taps is not None:
                z = z + taps[layer]
            h = torch.relu(z)
            if c["pool"]:
                h = F.max_pool2d(h, 2, 2)
        flat = h.permute(0, 2, 3, 1).reshape(h.shape[0], self.features)
        logits = flat @ self.named["dense.w"] + self.named["dense.b"]
        if targets is None:
            return logits
        return F.cross_entropy(logits, targets)


def build_model(cfg: dict, rng: Rng | None) -> LabModule:
    init = LabInit(rng)
    return Bert(cfg, init) if cfg["model"] == "bert" else Vgg(cfg, init)


def trained_names(model: LabModule, updating: list[bool]) -> set:
    """The lab's trainedVariables: backbone, shared parts with an updated module, updated modules."""
    names = set(model.backbone_names())
    for part, mods in model.shared_parts():
        if any(updating[m] for m in mods):
            names.update(part)
    for m, u in enumerate(updating):
        if u:
            names.update(model.module_names(m))
    return names


# ----------------------------------------------------------------------------------------------
# The probe and the fast mNTK (docs/method.md "The kernel")
# ----------------------------------------------------------------------------------------------
EXACT_OUTPUTS_MAX = 16


def probe_projections(k: int, kernel: str, R: int, rng: Rng) -> dict:
    if kernel == "loss":
        return {"kernel": "loss", "k": k, "R": 1, "exact": True, "projections": np.zeros(0, np.float32), "weight": 1.0}
    if k <= EXACT_OUTPUTS_MAX:
        return {"kernel": "trace", "k": k, "R": k, "exact": True,
                "projections": np.eye(k, dtype=np.float32).reshape(-1), "weight": 1 / k}
    p = np.array([-1.0 if rng.next() < 0.5 else 1.0 for _ in range(R * k)], np.float32)
    return {"kernel": "trace", "k": k, "R": R, "exact": False, "projections": p, "weight": 1 / (R * k)}


def make_probe(cfg: dict, data: dict, root: Rng) -> dict:
    """The lab's fixed probe: n samples from the `probe` stream, projections from `projections`;
    a step-kernel run's fixed probe takes the loss kernel."""
    kernel = "loss" if cfg["kernel"] == "step" else cfg["kernel"]
    n = cfg["probe"]
    if cfg["model"] == "bert":
        s = sample_mlm_batch(data["train"], n, cfg["seqLen"], cfg["vocab"], root.fork("probe"))
        k = s["M"] * cfg["vocab"]
    else:
        s = sample_image_batch(data, n, root.fork("probe"))
        k = 10
    return {"samples": s, **probe_projections(k, kernel, cfg["R"], root.fork("projections"))}


def probe_from_file(run: dict) -> dict:
    p, model = run["probe"], run["config"]["model"]
    if model == "bert":
        s = {"inputs": np.array(p["inputs"], np.int64), "positions": np.array(p["positions"], np.int64),
             "targets": np.array(p["targets"], np.int64), "n": p["n"], "T": p["seqLen"], "M": p["masked"]}
    else:
        s = {"x": np.array(p["inputs"], np.float32).reshape(p["n"], 784),
             "y": np.array(p["targets"], np.int64), "n": p["n"]}
    return {"samples": s, "kernel": p["kernel"], "k": run["probeOutputs"]["k"], "R": p["numProjections"],
            "exact": run["probeOutputs"]["exact"], "projections": np.array(p["projections"], np.float32),
            "weight": p["weight"]}


def sample_losses(logits, targets):
    return torch.logsumexp(logits, 1) - logits.gather(1, targets[:, None])[:, 0]


def bert_tensors(s: dict, Rp: int, device) -> tuple:
    """The samples replicated R' times (copy r of sample i is row r·n + i)."""
    n, T = s["n"], s["T"]
    tokens = torch.tensor(np.tile(s["inputs"], Rp).reshape(Rp * n, T), device=device)
    pos = np.concatenate([s["positions"] + r * n * T for r in range(Rp)])
    return tokens, torch.tensor(pos, device=device), torch.tensor(np.tile(s["targets"], Rp), device=device)


def image_tensor(x: np.ndarray, device) -> torch.Tensor:
    return torch.tensor(x, device=device).reshape(-1, 1, 28, 28)


def objective(logits, probe, targets, n, per_sample_rows):
    """Σ_r Σ_i s_r(x_i) over the replicated batch."""
    Rp = probe["R"]
    if probe["kernel"] == "loss":
        return sample_losses(logits, targets).reshape(Rp * n, per_sample_rows).mean(1).sum()
    proj = torch.tensor(probe["projections"], dtype=logits.dtype, device=logits.device).reshape(Rp, 1, probe["k"])
    return (logits.reshape(Rp, n, probe["k"]) * proj).sum()


def gram_terms(G: torch.Tensor) -> torch.Tensor:
    """[modules, R', n, P] → per module and projection G_r G_rᵀ in float64, [modules, R', n, n]."""
    G = G.double()
    return G @ G.transpose(-1, -2)


def bert_kernel_terms(model: Bert, probe: dict, device) -> torch.Tensor:
    """Every module's w·G_r G_rᵀ, [modules, R', n, n] (float64), in module order."""
    s = probe["samples"]
    n, T, M = s["n"], s["T"], s["M"]
    Rp = probe["R"]
    N = Rp * n
    L, H, d, dh, f, V = model.L, model.H, model.d, model.dh, model.f, model.V
    tokens, positions, targets = bert_tensors(s, Rp, device)
    dt = next(model.parameters()).dtype
    z = lambda w: torch.zeros(N * T, w, dtype=dt, device=device, requires_grad=True)  # noqa: E731
    taps = {"qkv": [z(3 * H * dh) for _ in range(L)], "y": [z(d) for _ in range(L)]}
    if model.sel["ffn"]:
        taps["h"] = [z(f) for _ in range(L)]
        taps["out"] = [z(d) for _ in range(L)]
    if model.sel["embed"]:
        taps["pre"], taps["post"] = z(d), z(d)
        taps["logits"] = torch.zeros(N * M, V, dtype=dt, device=device, requires_grad=True)
    flat = [t for key in ("qkv", "y", "h", "out") for t in taps.get(key, [])]
    flat += [taps[k] for k in ("pre", "post", "logits") if k in taps]
    capture = {}
    logits = model(tokens, positions, taps=taps, capture=capture)
    obj = objective(logits, probe, targets, n, M)
    D = torch.autograd.grad(obj, flat)
    out = []
    for layer in range(L):
        xa, ctx = capture["xAug"][layer], capture["ctx"][layer]
        dq, dy = D[layer], D[L + layer]
        gq = torch.bmm(xa.reshape(N, T, d + 1).transpose(1, 2), dq.reshape(N, T, 3 * H * dh))
        gq = gq.reshape(N, d + 1, H, 3 * dh).permute(2, 0, 1, 3).reshape(H, N, -1)
        go = torch.bmm(ctx.reshape(N, T, H * dh).transpose(1, 2), dy.reshape(N, T, d))
        go = go.reshape(N, H, dh * d).permute(1, 0, 2)
        out.append(gram_terms(torch.cat([gq, go], 2).reshape(H, Rp, n, -1)))
    if model.sel["ffn"]:
        for layer in range(L):
            x, a = capture["ffnIn"][layer], capture["hidden"][layer]
            dH, dY = D[2 * L + layer], D[3 * L + layer]
            ones = torch.ones(N * T, 1, dtype=dt, device=device)
            g1 = torch.bmm(torch.cat([x, ones], 1).reshape(N, T, d + 1).transpose(1, 2), dH.reshape(N, T, f))
            g2 = torch.bmm(torch.cat([a, ones], 1).reshape(N, T, f + 1).transpose(1, 2), dY.reshape(N, T, d))
            out.append(gram_terms(torch.cat([g1.reshape(N, -1), g2.reshape(N, -1)], 1).reshape(1, Rp, n, -1)))
    if model.sel["embed"]:
        k0 = len(flat) - 3
        ids = tokens[:n].reshape(-1)
        out.append(embed_terms(D[k0], D[k0 + 1], capture["xhat"], D[k0 + 2], capture["tn"], ids, n, Rp, T, M))
    return torch.cat(out, 0) * probe["weight"]


def embed_terms(d_pre, d_post, xhat, d_logits, tn, ids, n, Rp, T, M):
    """The embeddings' kernel per replica without forming [V, d] per-sample gradients (the lab's
    embedGram): token-row pair products, the tied decoder's cross and own terms, LayerNorm."""
    nT, nM = n * T, n * M
    d = xhat.shape[1]
    d_pre, d_post, xhat, d_logits, tn = (t.double() for t in (d_pre, d_post, xhat, d_logits, tn))

    def block_sum(x, a, b):
        return x.reshape(n, a, n, b).sum(3).sum(1)

    position = torch.arange(T, device=ids.device).repeat(n)
    pairs = (ids[:, None] == ids[None, :]).double() + (position[:, None] == position[None, :]).double()
    reps = []
    for r in range(Rp):
        D = d_pre[r * nT:(r + 1) * nT]
        Dp = d_post[r * nT:(r + 1) * nT]
        xh = xhat[r * nT:(r + 1) * nT]
        dl = d_logits[r * nM:(r + 1) * nM]
        t = tn[r * nM:(r + 1) * nM]
        rows = block_sum((D @ D.t()) * pairs, T, T)
        at_tokens = dl[:, ids].t()
        C = block_sum((D @ t.t()) * at_tokens, T, M)
        decoder = block_sum((dl @ dl.t()) * (t @ t.t()), M, M)
        ln = torch.cat([(Dp * xh).reshape(n, T, d).sum(1), Dp.reshape(n, T, d).sum(1)], 1)
        reps.append(rows + C + C.t() + decoder + ln @ ln.t())
    return torch.stack(reps).reshape(1, Rp, n, n)


def vgg_kernel_terms(model: Vgg, probe: dict, device) -> torch.Tensor:
    s = probe["samples"]
    n, Rp = s["n"], probe["R"]
    N = Rp * n
    g = model.g
    x = image_tensor(np.tile(s["x"], (Rp, 1)), device)
    y = torch.tensor(np.tile(s["y"], Rp), device=device)
    dt = next(model.parameters()).dtype
    taps = [torch.zeros(N, c["cout"], c["side"], c["side"], dtype=dt, device=device, requires_grad=True)
            for c in model.convs]
    capture = []
    logits = model(x.to(dt), taps=taps, capture=capture)
    D = torch.autograd.grad(objective(logits, probe, y, n, 1), taps)
    out = []
    for layer, c in enumerate(model.convs):
        S2, K = c["side"] ** 2, 9 * c["cin"] + 1
        P = F.unfold(capture[layer], 3, padding=1)  # [N, 9·cin, S²] (any fixed patch order)
        P = torch.cat([P, torch.ones(N, 1, S2, dtype=dt, device=device)], 1)
        A = torch.bmm(P, D[layer].reshape(N, c["cout"], S2).transpose(1, 2))  # [N, K, cout]
        G = A.reshape(N, K, c["groups"], g).permute(2, 0, 1, 3).reshape(c["groups"], Rp, n, K * g)
        out.append(gram_terms(G))
    return torch.cat(out, 0) * probe["weight"]


def kernel_terms(model, probe, device):
    fn = bert_kernel_terms if isinstance(model, Bert) else vgg_kernel_terms
    return fn(model, probe, device)


def largest(sym: torch.Tensor) -> torch.Tensor:
    return torch.linalg.eigvalsh(sym)[..., -1]


def spectra(terms: torch.Tensor, exact: bool) -> dict:
    """λmax, all n eigenvalues (descending), effective rank and, for the projected trace kernel
    (R' ≥ 2), λmax's jackknife standard error over the projections (docs/method.md)."""
    theta = terms.sum(1)
    sym = 0.5 * (theta + theta.transpose(-1, -2))
    vals = torch.linalg.eigvalsh(sym).flip(-1)
    pos = vals.clamp(min=0)
    total = pos.sum(-1, keepdim=True)
    p = torch.where(total > 0, pos / total.clamp(min=1e-300), torch.zeros_like(pos))
    ent = -(torch.where(p > 0, p * torch.log(p.clamp(min=1e-300)), torch.zeros_like(p))).sum(-1)
    eff = torch.where(total[:, 0] > 0, torch.exp(ent), torch.zeros_like(ent))
    out = {"lambdaMax": vals[:, 0].tolist(), "spectra": vals.tolist(), "effRank": eff.tolist()}
    R = terms.shape[1]
    if not exact and R >= 2:
        without = (theta[:, None] - terms) * (R / (R - 1))
        each = largest(0.5 * (without + without.transpose(-1, -2)))
        mean = each.mean(1, keepdim=True)
        out["stdErr"] = torch.sqrt((R - 1) / R * ((each - mean) ** 2).sum(1)).tolist()
    return out


def evaluate(model, probe, device) -> dict:
    terms = kernel_terms(model, probe, device)
    if not torch.isfinite(terms).all():
        raise FloatingPointError("the mNTK kernels hold NaN or infinite values: the weights diverged")
    return spectra(terms, probe["exact"])


# ----------------------------------------------------------------------------------------------
# FLOPs (the lab's src/core/flops.ts, families/transformer/flops.ts, bert/flops.ts, vgg/flops.ts)
# ----------------------------------------------------------------------------------------------
ADAM, LN, SOFTMAX, XENT = 12, 8, 5, 6


def step_total(forward, input_grad, weight_grad, optimizer):
    return {"forward": forward, "inputGrad": input_grad, "weightGrad": weight_grad,
            "optimizer": optimizer, "total": forward + input_grad + weight_grad + optimizer}


def eval_total(forward, backward, per_sample, gram, eigen):
    return {"forward": forward, "backward": backward, "perSample": per_sample, "gram": gram,
            "eigen": eigen, "total": forward + backward + per_sample + gram + eigen}


def eigen_flops(modules, n):
    return modules * 9 * n ** 3


class Ledger:
    def __init__(self):
        self.parts = {k: {"matmul": 0, "other": 0} for k in ("forward", "inputGrad", "weightGrad")}

    def add(self, part, kind, v):
        self.parts[part][kind] += v

    def total(self, part):
        return self.parts[part]["matmul"] + self.parts[part]["other"]


def head_params(s):
    dh = s["d"] // s["H"]
    return (s["d"] + 1) * 3 * dh + dh * s["d"]


def embed_params(s):
    return s["V"] * s["d"] + s["T"] * s["d"] + 2 * s["d"]


def ffn_params(s):
    return 2 * s["d"] * s["f"] + s["f"] + s["d"]


def bert_size(cfg):
    return {"L": cfg["layers"], "H": cfg["heads"], "d": cfg["dModel"], "f": cfg["dFF"],
            "T": cfg["seqLen"], "V": cfg["vocab"]}


def attention_forward(B, T, d, H, groups):
    N = B * T
    matmul = 2 * N * (d + 1) * 3 * d + 2 * 2 * B * H * T * T * (d // H) + 2 * N * d * d
    ew = N * d + SOFTMAX * B * H * T * T + N * d * max(0, groups - 1) + N * d + N * d + LN * N * d
    return matmul, ew


def mlm_head_forward(BM, d, V):
    return 2 * BM * d * d + 2 * BM * d * V, 2 * BM * d + LN * BM * d + BM * V + XENT * BM * V


def head_groups_for(on, H):
    if on == 0:
        return [(H, False)]
    if on == H:
        return [(H, True)]
    return [(on, True), (H - on, False)]


def ffn_forward(N, d, f):
    return 2 * N * d * f + 2 * N * f * d, 2 * N * f + N * d + N * d + LN * N * d


def bert_pattern(s, updating, sel):
    L, H = s["L"], s["H"]
    at = lambda m: updating[m] if m < len(updating) else True  # noqa: E731
    heads_on = [sum(1 for h in range(H) if at(layer * H + h)) for layer in range(L)]
    ffn = [(not sel["ffn"]) or at(L * H + layer) for layer in range(L)]
    embed = (not sel["embed"]) or at(L * H + (L if sel["ffn"] else 0))
    return heads_on, ffn, embed


def bert_backbone_params(s, sel):
    d, V, L = s["d"], s["V"], s["L"]
    always = L * (d + 2 * d + 2 * d) + d * d + d + 2 * d + V
    return always + (0 if sel["ffn"] else L * ffn_params(s)) + (0 if sel["embed"] else embed_params(s))


def bert_step_flops(s, B, updating, sel):
    """bertStepLedger + ledgerStepFlops: a training step's FLOPs by part."""
    T, d, f, V, H, L = s["T"], s["d"], s["f"], s["V"], s["H"], s["L"]
    N = B * T
    heads_on, ffn_on, embed_on = bert_pattern(s, updating, sel)
    shared = sel["shared"]
    led = Ledger()
    ew = N * d + LN * N * d
    led.add("forward", "other", ew)
    if embed_on:
        led.add("inputGrad", "other", 2 * ew)
        led.add("weightGrad", "other", N * d + N * d + 2 * N * d)
    below = embed_on
    dh = d // H
    for layer in range(L):
        groups = head_groups_for(heads_on[layer], H)
        norm_trained = (not shared) or heads_on[layer] > 0
        for heads, updated in groups:
            w = heads * dh
            qkv = 2 * N * (d + 1) * 3 * w
            core = 2 * 2 * B * heads * T * T * dh
            out = 2 * N * w * d
            e = N * w + SOFTMAX * B * heads * T * T
            led.add("forward", "matmul", qkv + core + out)
            led.add("forward", "other", e)
            if below or updated:
                led.add("inputGrad", "matmul", out + 2 * core + (qkv if below else 0))
                led.add("inputGrad", "other", 2 * e)
            if updated:
                led.add("weightGrad", "matmul", qkv + out)
        lay = N * d * max(0, len(groups) - 1) + N * d + N * d + LN * N * d
        led.add("forward", "other", lay)
        on_path = below or norm_trained or any(u for _, u in groups)
        if on_path:
            led.add("inputGrad", "other", 2 * lay)
        if norm_trained:
            led.add("weightGrad", "other", N * d + 2 * N * d)
        below = on_path
        # the FFN block
        matmul, few = ffn_forward(N, d, f)
        trained = ffn_on[layer]
        norm = (not (shared and sel["ffn"])) or trained
        led.add("forward", "matmul", matmul)
        led.add("forward", "other", few)
        if below or trained:
            led.add("inputGrad", "matmul", 2 * N * f * d)
        if below:
            led.add("inputGrad", "matmul", 2 * N * d * f)
        on_path = below or trained or norm
        if on_path:
            led.add("inputGrad", "other", 2 * few)
        if norm:
            led.add("weightGrad", "other", 2 * N * d)
        if trained:
            led.add("weightGrad", "matmul", matmul)
            led.add("weightGrad", "other", N * f + N * d)
        below = on_path
    BM = B * mask_count(T)
    matmul, hew = mlm_head_forward(BM, d, V)
    led.add("forward", "matmul", matmul)
    led.add("forward", "other", hew)
    led.add("inputGrad", "matmul", 2 * BM * d * V + (2 * BM * d * d if below else 0))
    led.add("inputGrad", "other", 2 * hew)
    led.add("weightGrad", "matmul", 2 * BM * d * d + (2 * BM * d * V if embed_on else 0))
    led.add("weightGrad", "other", BM * d + 2 * BM * d + BM * V)
    ffns = sum(1 for x in ffn_on if x) if sel["ffn"] else 0
    params = (bert_backbone_params(s, sel) + sum(heads_on) * head_params(s) + ffns * ffn_params(s)
              + (embed_params(s) if sel["embed"] and embed_on else 0))
    return step_total(led.total("forward"), led.total("inputGrad"), led.total("weightGrad"), ADAM * params)


def embed_kernel_flops(s, n, projections, masked):
    T, d, V = s["T"], s["d"], s["V"]
    nT, nM = n * T, n * masked
    per_sample = 3 * projections * nT * d
    per_replica = (2 * nT * nT * d + 2 * nT * nT + 2 * nT * nM * d + 2 * nT * nM
                   + 2 * nM * nM * (V + d) + 2 * nM * nM + 2 * n * n * 2 * d + 5 * n * n)
    return per_sample, 3 * nT * nT + projections * per_replica


def bert_evaluation_flops(s, n, projections, sel):
    T, d, f, L, H, V = s["T"], s["d"], s["f"], s["L"], s["H"], s["V"]
    masked = mask_count(T)
    Np = n * projections
    tokens = Np * T
    # mlmForward over Np sequences, every layer's heads as one group
    N = Np * T
    matmul, ew = 0, N * d + LN * N * d
    for _ in range(L):
        am, ae = attention_forward(Np, T, d, H, 1)
        fm, fe = ffn_forward(tokens, d, f)
        matmul += am + fm
        ew += ae + fe
    hm, he = mlm_head_forward(Np * masked, d, V)
    matmul, ew = matmul + hm, ew + he
    if sel["ffn"]:
        own = {"taps": L * (tokens * f + tokens * d),
               "perSample": L * (2 * tokens * (d + 1) * f + 2 * tokens * (f + 1) * d),
               "gram": L * projections * (2 * n * n * ffn_params(s) + n * n), "modules": L}
    else:
        own = {"taps": 0, "perSample": 0, "gram": 0, "modules": 0}
    dh = d // H
    embed = sel["embed"]
    taps = L * (tokens * 3 * d + tokens * d) + own["taps"]
    if embed:
        taps += 2 * tokens * d + Np * masked * V
    obj = 2 * Np * masked * V
    forward = matmul + ew + taps + obj
    attn_both = L * 2 * 2 * Np * H * T * T * dh
    below_tap = 2 * tokens * d if embed else 2 * tokens * (d + 1) * 3 * d + 2 * (tokens * d + LN * tokens * d)
    backward = matmul + attn_both + 2 * (ew + taps + obj) - below_tap
    per_sample = L * (2 * tokens * (d + 1) * 3 * d + 2 * tokens * d * d) + own["perSample"]
    gram = L * H * projections * (2 * n * n * head_params(s) + n * n) + own["gram"]
    if embed:
        ps, gr = embed_kernel_flops(s, n, projections, masked)
        per_sample += ps
        gram += gr
    eigen = eigen_flops(L * H + own["modules"] + (1 if embed else 0), n)
    return eval_total(forward, backward, per_sample, gram, eigen)


def bert_step_evaluation_flops(s, B, n, updating, sel):
    """The lab's fused step-kernel charge (bertStepEvaluationFlops); used by `check` only."""
    T, d, f, L, V = s["T"], s["d"], s["f"], s["L"], s["V"]
    own_taps = L * B * T * (f + d) if sel["ffn"] else 0
    uncharged = (bert_step_flops(s, B, [True] * len(updating), sel)["inputGrad"]
                 - bert_step_flops(s, B, updating, sel)["inputGrad"])
    kernel = bert_evaluation_flops(s, n, 1, sel)
    tokens = B * T
    taps = L * (tokens * 3 * d + tokens * d) + own_taps
    if sel["embed"]:
        taps += 2 * tokens * d + B * mask_count(T) * V
    return eval_total(taps, 2 * taps + uncharged, kernel["perSample"], kernel["gram"], kernel["eigen"])


def vgg_conv_forward(c):
    S2 = c["side"] ** 2
    pooled = (c["side"] // 2) ** 2
    return 2 * S2 * 9 * c["cin"] * c["cout"], 2 * S2 * c["cout"] + (3 * pooled * c["cout"] if c["pool"] else 0)


def vgg_step_flops(model: Vgg, B, updating):
    convs, Fw, k, g = model.convs, model.features, model.classes, model.g
    per_layer, m = [], 0
    for c in convs:
        per_layer.append(sum(1 for q in range(c["groups"]) if updating[m + q]))
        m += c["groups"]
    e = next((i for i, u in enumerate(per_layer) if u > 0), -1)
    fwd = ig = wg = 0
    params = Fw * k + k
    for layer, c in enumerate(convs):
        conv, ew = vgg_conv_forward(c)
        fwd += conv + ew
        if e >= 0 and layer >= e:
            ig += 2 * ew
        if e >= 0 and layer > e:
            ig += conv
        S2 = c["side"] ** 2
        u = per_layer[layer]
        wg += u * (2 * S2 * 9 * c["cin"] * g + S2 * g)
        params += u * (9 * c["cin"] * g + g)
    fwd += 2 * Fw * k + k + XENT * k
    ig += 2 * (k + XENT * k) + (2 * Fw * k if e >= 0 else 0)
    wg += 2 * Fw * k + k
    return step_total(B * fwd, B * ig, B * wg, ADAM * params)


def vgg_evaluation_flops(model: Vgg, n, projections, kernel):
    k, g, Fw = model.classes, model.g, model.features
    N = n * projections
    obj = XENT * k if kernel == "loss" else 2 * k
    fwd = 2 * Fw * k + k + obj
    bwd = 2 * obj + 2 * k + 2 * Fw * k
    per_sample = gram = modules = 0
    for layer, c in enumerate(model.convs):
        conv, ew = vgg_conv_forward(c)
        S2 = c["side"] ** 2
        tap = S2 * c["cout"]
        fwd += conv + ew + tap
        bwd += 2 * (ew - tap) + 2 * tap + (2 * tap + conv if layer >= 1 else 0)
        per_sample += 2 * S2 * (9 * c["cin"] + 1) * c["cout"]
        gram += c["groups"] * projections * (2 * n * n * (9 * c["cin"] + 1) * g + n * n)
        modules += c["groups"]
    return eval_total(N * fwd, N * bwd, N * per_sample, gram, eigen_flops(modules, n))


def vgg_step_evaluation_flops(model: Vgg, B, n, updating):
    """The lab's fused step-kernel charge (vggStepEvaluationFlops); used by `check` only."""
    g = model.g
    taps = per_sample = gram = modules = 0
    for c in model.convs:
        S2 = c["side"] ** 2
        taps += S2 * c["cout"]
        per_sample += 2 * S2 * (9 * c["cin"] + 1) * c["cout"]
        gram += c["groups"] * (2 * n * n * (9 * c["cin"] + 1) * g + n * n)
        modules += c["groups"]
    c0 = model.convs[0]
    bias0 = 2 * c0["side"] ** 2 * c0["cout"]
    uncharged = (vgg_step_flops(model, B, [True] * len(updating))["inputGrad"]
                 - vgg_step_flops(model, B, updating)["inputGrad"])
    return eval_total(B * taps, B * (2 * taps - bias0) + uncharged, n * per_sample, gram, eigen_flops(modules, n))


class Flops:
    """The lab's FLOP formulas for this config: per step (by decisions) and per evaluation."""

    def __init__(self, cfg: dict, model: LabModule):
        self.cfg, self.model = cfg, model
        self.cache = {}

    def step(self, updating) -> dict:
        key = tuple(updating)
        if key not in self.cache:
            c, m = self.cfg, self.model
            self.cache[key] = (bert_step_flops(bert_size(c), c["batch"], list(updating), selection_of(c))
                               if isinstance(m, Bert) else vgg_step_flops(m, c["batch"], list(updating)))
        return self.cache[key]

    def evaluation(self, probe_R: int, kernel: str) -> dict:
        """One evaluation on the fixed probe (or, kernel=step, a loss-kernel evaluation on the
        batch's first n samples: what this script computes)."""
        c, m = self.cfg, self.model
        R = 1 if kernel == "step" else probe_R
        kind = "loss" if kernel == "step" else kernel
        if isinstance(m, Bert):
            return bert_evaluation_flops(bert_size(c), c["probe"], R, selection_of(c))
        return vgg_evaluation_flops(m, c["probe"], R, kind)

    def lab_step_evaluation(self, updating) -> dict:
        c, m = self.cfg, self.model
        if isinstance(m, Bert):
            return bert_step_evaluation_flops(bert_size(c), c["batch"], c["probe"], list(updating), selection_of(c))
        return vgg_step_evaluation_flops(m, c["batch"], c["probe"], list(updating))


# ----------------------------------------------------------------------------------------------
# Policies (src/core/policies/) and the Session's decision logic (src/core/session.ts)
# ----------------------------------------------------------------------------------------------


def reference_value(values, ref):
    n = len(values)
    if n == 0:
        return math.nan
    if ref == "max":
        return max(values)
    if ref == "mean":
        total = 0.0
        for v in values:
            total += v / n
        return total
    s = sorted(values)
    hi = s[n >> 1]
    return hi if n % 2 == 1 else (s[(n >> 1) - 1] + hi) / 2


def relative_change(now, before):
    if not (math.isfinite(now) and math.isfinite(before)):
        return math.nan
    if before == 0:
        return 0.0 if now == 0 else math.inf
    return abs(now - before) / abs(before)


def mat_rule(modules, history, params, step, previous, index=None):
    if index is None:
        index = len(history) - 1
    if step < params["warmup"]:
        return [(True, "warmup")] * len(modules)
    current = history[index]["lambdaMax"]
    past = history[index - params["window"]]["lambdaMax"] if index - params["window"] >= 0 else None
    lam = [v if v is not None else math.nan for v in current]
    by_kind = {}
    for m, v in zip(modules, lam):
        by_kind.setdefault(m["kind"], [])
        if math.isfinite(v):
            by_kind[m["kind"]].append(v)
    refs = {k: reference_value(vs, params["ref"]) for k, vs in by_kind.items()}
    out = []
    for i, (m, v) in enumerate(zip(modules, lam)):
        rel = None
        if index - params["window"] >= 0:
            before = past[i] if past[i] is not None else math.nan
            rel = relative_change(v, before)
        comparable = math.isfinite(v)
        threshold = params["alpha"] * refs[m["kind"]]
        active = params["alpha"] == 0 or not comparable or not math.isfinite(threshold) or v >= threshold
        settled = params["beta"] > 0 and comparable and rel is not None and rel < params["beta"]
        sticky = params["stop"] == "sticky" and previous is not None and previous[i][1] == "stopped-beta"
        if sticky or settled:
            out.append((False, "stopped-beta"))
        elif not active:
            out.append((False, "frozen-alpha"))
        else:
            out.append((True, "active"))
    return out


def sample_without_replacement(items, k, rng):
    pool = list(items)
    take = min(max(0, k), len(pool))
    for i in range(take):
        j = i + rng.int(len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:take]


def random_rule(modules, history, params, step, rng):
    if step < params["warmup"]:
        return [(True, "warmup")] * len(modules)
    previous = None
    if params["stop"] == "sticky":
        for e in range(len(history) - 1):
            previous = mat_rule(modules, history, params, history[e]["step"], previous, e)
    mat = mat_rule(modules, history, params, step, previous)
    by_kind = {}
    for i, m in enumerate(modules):
        grp = by_kind.setdefault(m["kind"], {"indices": [], "budget": 0})
        grp["indices"].append(i)
        if mat[i][0]:
            grp["budget"] += 1
    chosen = set()
    for grp in by_kind.values():
        chosen.update(sample_without_replacement(grp["indices"], grp["budget"], rng))
    return [(True, "random-on") if i in chosen else (False, "random-off") for i in range(len(modules))]


def progressive_rule(modules, params, step):
    layers = sorted({m["layer"] for m in modules})
    freeze = {layer: params["warmup"] + (depth + 1) * params["progSpan"] for depth, layer in enumerate(layers)}
    out = []
    for m in modules:
        if step < params["warmup"]:
            out.append((True, "warmup"))
        else:
            out.append((False, "frozen-schedule") if step >= freeze[m["layer"]] else (True, "all"))
    return out


NEEDS_KERNEL = {"vanilla": False, "mat": True, "random": True, "progressive": False}


class Controller:
    """The Session's decision logic (session.ts `advance`): replayed overrides before the
    evaluation, the evaluation every K steps, replayed α/β changes after it, then the policy and
    the manual overrides over it. Pure: kernels come from `evaluate_fn`."""

    def __init__(self, cfg: dict, modules: list, root: Rng):
        self.cfg, self.modules = cfg, modules
        self.params = {k: cfg[k] for k in ("alpha", "beta", "warmup", "window", "ref", "stop", "progSpan")}
        self.policy = cfg["policy"]
        self.policy_rng = root.fork("policy")
        self.decisions = [(True, "warmup")] * len(modules)
        self.history, self.decision_log, self.events = [], [], []
        self.overrides, self.prev = {}, None
        ids = {m["id"] for m in modules}
        events = sorted(cfg.get("events", []), key=lambda e: e["step"])
        self.replay = [e for e in events if e["name"] != "override"]
        self.replay_overrides = [e for e in events if e["name"] == "override" and e["module"] in ids]

    def decide(self, step):
        p, h, mods = self.params, self.history, self.modules
        if self.policy == "vanilla":
            d = [(True, "all")] * len(mods)
        elif self.policy == "mat":
            d = mat_rule(mods, h, p, step, self.prev)
        elif self.policy == "random":
            d = random_rule(mods, h, p, step, self.policy_rng.fork(f"decide@{step}"))
        else:
            d = progressive_rule(mods, p, step)
        if self.overrides:
            d = [(True, "forced-on") if self.overrides.get(m["id"]) == "on" else
                 (False, "forced-off") if self.overrides.get(m["id"]) == "off" else x
                 for m, x in zip(mods, d)]
        self.decisions = d
        if self.decision_log and self.decision_log[-1][0] == step:
            self.decision_log[-1] = (step, d)
        else:
            self.decision_log.append((step, d))

    def override(self, step, module, mode):
        before = self.overrides.get(module, "auto")
        if before == mode:
            return False
        if mode == "auto":
            self.overrides.pop(module, None)
        else:
            self.overrides[module] = mode
        if self.history or mode != "auto":
            self.decide(step)
        self.events.append({"step": step, "name": "override", "module": module, "from": before, "to": mode})
        return True

    def set_live(self, step, name, value):
        before = self.params[name]
        if before == value:
            return False
        self.params[name] = value
        self.events.append({"step": step, "name": name, "from": before, "to": value})
        return True

    def may_change(self, t) -> bool:
        """Whether the decisions can change before step t trains (known to every rank)."""
        return t % self.cfg["K"] == 0 or any(e["step"] == t for e in self.replay + self.replay_overrides)

    def begin_step(self, t, evaluate_fn):
        """Everything before step t trains; returns the evaluation taken (or None)."""
        redecide = False
        while self.replay_overrides and self.replay_overrides[0]["step"] <= t:
            e = self.replay_overrides.pop(0)
            if e["step"] < t:
                continue
            redecide = self.override(t, e["module"], e["mode"]) or redecide
        evaluation = None
        if t % self.cfg["K"] == 0:
            evaluation = evaluate_fn()
            evaluation["step"] = t
            self.history.append(evaluation)
            self.prev = self.decisions
            redecide = True
        while self.replay and self.replay[0]["step"] <= t:
            e = self.replay.pop(0)
            if e["step"] < t:
                continue
            self.set_live(t, e["name"], e["value"])
            redecide = True
        if redecide and self.history:
            self.decide(t)
        return evaluation

    def decisions_at(self, step):
        d = self.decision_log[0][1] if self.decision_log else self.decisions
        for s, x in self.decision_log:
            if s <= step:
                d = x
        return d


# ----------------------------------------------------------------------------------------------
# Training (one process, or DDP under torchrun)
# ----------------------------------------------------------------------------------------------


def finite_list(t) -> list:
    a = t.detach().double().cpu().numpy().reshape(-1) if torch.is_tensor(t) else np.asarray(t, np.float64)
    vals = a.tolist()
    if not np.isfinite(a).all():
        vals = [v if math.isfinite(v) else None for v in vals]
    return vals


def clean(v):
    return v if v is not None and math.isfinite(v) else None


class Dist:
    """torchrun's environment: rank, world size, backend (gloo on CPU, nccl on CUDA)."""

    def __init__(self, device: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.on = self.world > 1
        cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        self.device = torch.device(f"cuda:{self.local_rank}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
            # float32 as the lab computes (TF32 convolutions would move λmax by ~1e-3).
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        self.backend = "nccl" if cuda else "gloo"
        if self.on:
            dist.init_process_group(self.backend)

    def broadcast_decisions(self, updating: list[bool]) -> list[bool]:
        if not self.on:
            return updating
        t = torch.tensor([1 if u else 0 for u in updating], dtype=torch.int32, device=self.device)
        dist.broadcast(t, 0)
        return [bool(v) for v in t.tolist()]

    def mean(self, x: torch.Tensor) -> float:
        if not self.on:
            return float(x)
        t = x.detach().reshape(1).clone()
        dist.all_reduce(t)
        return float(t) / self.world

    def close(self):
        """Both ranks meet, then the process group goes (a DDP reducer still holding it at
        interpreter exit would join gloo threads whose peer has left, and hang)."""
        if self.on:
            dist.barrier()
            gc.collect()
            dist.destroy_process_group()


class Trainer:
    def __init__(self, cfg: dict, args, env: Dist):
        self.cfg, self.args, self.env = cfg, args, env
        self.dev = env.device
        root = create_rng(cfg["seed"])
        self.root = root
        self.data = (load_corpus(args.data, cfg["vocab"]) if cfg["model"] == "bert"
                     else load_fashion(args.data, cfg["images"]))
        init = root.fork("init") if args.init == "lab" else None
        if args.init == "torch":
            torch.manual_seed(cfg["seed"])
        self.model = build_model(cfg, init).to(self.dev)
        if env.on and args.init == "torch":
            for p in self.model.parameters():
                dist.broadcast(p.data, 0)
        self.modules = self.model.modules_info
        self.probe = make_probe(cfg, self.data, root)
        self.batch_rng = root.fork("batches")
        if cfg["model"] == "bert":
            self.val = fixed_mlm_batches(self.data["val"], cfg["valBatches"], cfg["batch"], cfg["seqLen"],
                                         cfg["vocab"], root.fork("val"))
        self.ctrl = Controller(cfg, self.modules, root)
        self.flops = Flops(cfg, self.model)
        if cfg["batch"] % env.world:
            raise ConfigError(f"batch: {cfg['batch']} does not split evenly over {env.world} processes.")
        self.local = cfg["batch"] // env.world
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8)
        self.wrapper = None
        self.wrapped_set = None
        self.apply([True] * len(self.modules))

    def apply(self, updating: list[bool]) -> None:
        """Decisions in force: frozen modules' parameters requires_grad=False (out of the
        backward, the optimizer and, rebuilt, the all-reduce); heads / filter groups regrouped."""
        self.updating = list(updating)
        trained = trained_names(self.model, updating)
        for name, p in self.model.named.items():
            p.requires_grad_(name in trained)
            if name not in trained:
                p.grad = None
        self.model.set_groups(updating)
        if not self.env.on:
            self.wrapper = self.model
            return
        from torch.nn.parallel import DistributedDataParallel as DDP
        ids = [self.dev.index] if self.dev.type == "cuda" else None
        if self.args.ddp_freeze == "find-unused":
            if self.wrapper is None:
                self.wrapper = DDP(self.model, device_ids=ids, find_unused_parameters=True, broadcast_buffers=False)
            return
        key = frozenset(trained)
        if key != self.wrapped_set:
            t0 = time.perf_counter()
            self.wrapper = None  # the old wrapper's reducer goes before the new one is built
            self.wrapper = DDP(self.model, device_ids=ids, broadcast_buffers=False)
            self.wrapped_set = key
            self.rebuilds += 1
            self.rebuild_s += time.perf_counter() - t0

    rebuilds = 0
    rebuild_s = 0.0

    def batch(self) -> dict:
        c = self.cfg
        if c["model"] == "bert":
            return sample_mlm_batch(self.data["train"], c["batch"], c["seqLen"], c["vocab"], self.batch_rng)
        return sample_image_batch(self.data, c["batch"], self.batch_rng)

    def shard(self, b: dict, lo: int, hi: int) -> tuple:
        if self.cfg["model"] == "bert":
            T, M = b["T"], b["M"]
            tokens = torch.tensor(b["inputs"][lo * T:hi * T].reshape(hi - lo, T), device=self.dev)
            pos = torch.tensor(b["positions"][lo * M:hi * M] - lo * T, device=self.dev)
            return tokens, pos, torch.tensor(b["targets"][lo * M:hi * M], device=self.dev)
        return image_tensor(b["x"][lo:hi], self.dev), torch.tensor(b["y"][lo:hi], device=self.dev)

    def step_probe(self, b: dict) -> dict:
        """kernel=step: the loss kernel of the batch's first n samples."""
        n = self.cfg["probe"]
        if self.cfg["model"] == "bert":
            T, M = b["T"], b["M"]
            s = {"inputs": b["inputs"][:n * T], "positions": b["positions"][:n * M],
                 "targets": b["targets"][:n * M], "n": n, "T": T, "M": M}
        else:
            s = {"x": b["x"][:n], "y": b["y"][:n], "n": n}
        return {"samples": s, "kernel": "loss", "k": self.probe["k"], "R": 1, "exact": True,
                "projections": np.zeros(0, np.float32), "weight": 1.0}

    @torch.no_grad()
    def validate(self) -> float:
        m = self.model
        if self.cfg["model"] == "bert":
            total, count = 0.0, 0
            for b in self.val:
                tokens, pos, tgt = (torch.tensor(b["inputs"].reshape(b["n"], b["T"]), device=self.dev),
                                    torch.tensor(b["positions"], device=self.dev),
                                    torch.tensor(b["targets"], device=self.dev))
                total += float(sample_losses(m(tokens, pos), tgt).double().sum())
                count += len(b["positions"])
            return math.exp(total / count)
        n_val = min(len(self.data["val_y"]), self.cfg["valBatches"] * self.cfg["batch"])
        right = 0
        for a in range(0, n_val, 250):
            x = image_tensor(self.data["val_x"][a:min(n_val, a + 250)], self.dev)
            right += int((m(x).argmax(1).cpu().numpy() == self.data["val_y"][a:a + len(x)]).sum())
        return right / max(1, n_val)

    def train(self, steps: int) -> dict:
        cfg, env, ctrl = self.cfg, self.env, self.ctrl
        needs = NEEDS_KERNEL[cfg["policy"]]
        vanilla = self.flops.step([True] * len(self.modules))
        per_eval = self.flops.evaluation(self.probe["R"], cfg["kernel"])["total"]
        metrics = {"step": [], "loss": [], "flops": [], "vanillaFlops": []}
        validation = {"step": [], "perplexity": []}
        run_total = van_total = 0
        times = []
        for t in range(steps):
            t0 = time.perf_counter()
            b = self.batch()  # every rank draws the same global batch (same stream)
            evaluation = None
            if ctrl.may_change(t):
                if env.rank == 0:
                    probe = self.step_probe(b) if cfg["kernel"] == "step" else self.probe
                    evaluation = ctrl.begin_step(t, lambda: evaluate(self.model, probe, self.dev))
                    updating = [u for u, _ in ctrl.decisions]
                else:
                    updating = None
                updating = env.broadcast_decisions(updating if updating is not None else [True] * len(self.modules))
                if updating != self.updating:
                    self.apply(updating)
            charged = self.flops.step(self.updating)["total"]
            if evaluation is not None and needs:
                charged += per_eval
            lo = env.rank * self.local
            args = self.shard(b, lo, lo + self.local)
            self.opt.zero_grad(set_to_none=True)
            loss = self.wrapper(*args[:-1], targets=args[-1])
            loss.backward()
            self.opt.step()
            mean_loss = env.mean(loss)
            run_total += charged
            van_total += vanilla["total"]
            if env.rank == 0:
                metrics["step"].append(t + 1)
                metrics["loss"].append(clean(mean_loss))
                metrics["flops"].append(run_total)
                metrics["vanillaFlops"].append(van_total)
                if (t + 1) % cfg["valEvery"] == 0:
                    validation["step"].append(t + 1)
                    validation["perplexity"].append(clean(self.validate()))
            times.append(time.perf_counter() - t0)
            if env.rank == 0 and self.args.log_every and (t + 1) % self.args.log_every == 0:
                on = sum(self.updating)
                print(f"step {t + 1}: loss {mean_loss:.4f}, {on}/{len(self.updating)} modules updated, "
                      f"{1000 * statistics.median(times[-self.args.log_every:]):.1f} ms/step", flush=True)
        return {"metrics": metrics, "validation": validation, "steps": steps, "times": times,
                "perEvaluation": per_eval, "perVanillaStep": vanilla["total"]}

    def run_file(self, result: dict) -> dict:
        cfg, ctrl = self.cfg, self.ctrl
        evals = []
        for e in ctrl.history:
            d = ctrl.decisions_at(e["step"])
            evals.append({**kernel_record(e), "updating": [u for u, _ in d], "reasons": [r for _, r in d]})
        try:
            at_export = evaluate(self.model, self.probe, self.dev)
        except FloatingPointError:
            nan = [None] * len(self.modules)
            at_export = {"lambdaMax": nan, "spectra": [[None] * cfg["probe"]] * len(self.modules), "effRank": nan}
        at_export["step"] = result["steps"]
        p, s = self.probe, self.probe["samples"]
        if cfg["model"] == "bert":
            samples = {"inputs": s["inputs"].tolist(), "positions": s["positions"].tolist(),
                       "targets": s["targets"].tolist(), "n": s["n"], "seqLen": s["T"], "masked": s["M"]}
        else:
            samples = {"inputs": s["x"].reshape(-1).astype(np.float64).tolist(), "positions": [],
                       "targets": s["y"].tolist(), "n": s["n"], "seqLen": 784, "masked": 1}
        config = dict(cfg)
        config["events"] = [link_event(e) for e in ctrl.events]
        env = self.env
        return {
            "format": "mat-lab-run",
            "version": 3,
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "config": config,
            "backend": {"backend": f"pytorch-{env.device.type}",
                        "adapter": (f"torch {torch.__version__}, {env.world} process(es), "
                                    f"{env.backend if env.on else 'no'} DDP, mat_train.py")[:256],
                        "isFallbackAdapter": False},
            "modules": self.modules,
            "events": ctrl.events,
            "metrics": result["metrics"],
            "validation": result["validation"],
            "metric": ({"name": "perplexity", "higherIsBetter": False} if cfg["model"] == "bert"
                       else {"name": "accuracy", "higherIsBetter": True}),
            "flops": {"perVanillaStep": result["perVanillaStep"], "perEvaluation": result["perEvaluation"]},
            "probeOutputs": {"k": p["k"], "projections": p["R"], "exact": p["exact"]},
            "evaluations": evals,
            "exportEvaluation": kernel_record(at_export),
            "medianStepMs": 1000 * statistics.median(result["times"]) if result["times"] else None,
            "probe": {**samples, "projections": p["projections"].astype(np.float64).tolist(),
                      "numProjections": p["R"], "weight": p["weight"], "kernel": p["kernel"]},
            "weights": self.model.export_weights(),
            "step": result["steps"],
        }


def kernel_record(e: dict) -> dict:
    out = {"step": e["step"], "lambdaMax": [clean(v) for v in e["lambdaMax"]],
           "spectra": [[clean(v) for v in row] for row in e["spectra"]],
           "effRank": [clean(v) for v in e["effRank"]]}
    if "stdErr" in e:
        out["stdErr"] = [clean(v) for v in e["stdErr"]]
    return out


def link_event(e: dict) -> dict:
    if e["name"] == "override":
        return {"step": e["step"], "name": "override", "module": e["module"], "mode": e["to"]}
    return {"step": e["step"], "name": e["name"], "value": e["to"]}


# ----------------------------------------------------------------------------------------------
# check: the lab's run file against this script (the lab's CI runs it)
# ----------------------------------------------------------------------------------------------


def check_run(run: dict, data_dir: str | None) -> dict:
    """From a lab run file: λmax per module on the file's weights and probe (compare with
    `exportEvaluation`), the decisions replayed from the file's λmax history (compare with
    `evaluations[].updating/reasons`), the cumulative FLOPs by the lab's formulas for those
    decisions (compare with `metrics.flops`), and, when the data is at hand, the probe regenerated
    from the seed (compare with `probe`)."""
    cfg = check_config(dict(run["config"]))
    model = build_model(cfg, None)
    model.load_lab_weights(run["weights"])
    probe = probe_from_file(run)
    t0 = time.perf_counter()
    kernels = evaluate(model, probe, torch.device("cpu"))
    kernel_s = time.perf_counter() - t0
    ids = [m["id"] for m in model.modules_info]
    # Decisions from the file's history, replayed through the Session's logic.
    evals = {e["step"]: e for e in run["evaluations"]}
    ctrl = Controller(cfg, model.modules_info, create_rng(cfg["seed"]))
    flops = Flops(cfg, model)
    needs = NEEDS_KERNEL[cfg["policy"]]
    per_eval = (None if cfg["kernel"] == "step" else flops.evaluation(probe["R"], cfg["kernel"])["total"])
    total, series, decisions = 0, [], []
    for t in range(run["step"]):
        if t % cfg["K"] == 0 and t not in evals:
            raise ValueError(f"evaluations: the file has no evaluation at step {t}.")
        ev = ctrl.begin_step(t, lambda: {"lambdaMax": list(evals[t]["lambdaMax"])})
        updating = [u for u, _ in ctrl.decisions]
        charged = flops.step(updating)["total"]
        if ev is not None and needs:
            charged += flops.lab_step_evaluation(updating)["total"] if cfg["kernel"] == "step" else per_eval
        total += charged
        series.append(total)
    for e in run["evaluations"]:
        d = ctrl.decisions_at(e["step"])
        decisions.append({"step": e["step"], "updating": [u for u, _ in d], "reasons": [r for _, r in d]})
    out = {"model": cfg["model"], "modules": ids, "lambdaMax": kernels["lambdaMax"],
           "spectra": kernels["spectra"], "stdErr": kernels.get("stdErr"), "kernelSeconds": kernel_s,
           "decisions": decisions, "flops": series,
           "perVanillaStep": flops.step([True] * len(ids))["total"],
           "perEvaluation": per_eval if per_eval is not None else flops.lab_step_evaluation([True] * len(ids))["total"]}
    if data_dir:
        root = create_rng(cfg["seed"])
        data = (load_corpus(data_dir, cfg["vocab"]) if cfg["model"] == "bert" else load_fashion(data_dir, cfg["images"]))
        p = make_probe(cfg, data, root)
        s = p["samples"]
        out["probe"] = ({"inputs": s["inputs"].tolist(), "positions": s["positions"].tolist(),
                         "targets": s["targets"].tolist()} if cfg["model"] == "bert"
                        else {"inputs": s["x"].reshape(-1).astype(np.float64).tolist(), "targets": s["y"].tolist()})
        out["probe"]["projections"] = p["projections"].astype(np.float64).tolist()
        init = build_model(cfg, root.fork("init"))
        out["initialWeights"] = {n: finite_list(init.named[n]) for n in init.export_order()}
    return out


# ----------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="MAT training exported from MAT Lab.")
    sub = ap.add_subparsers(dest="command")
    tr = sub.add_parser("train", help="train (the default)")
    ck = sub.add_parser("check", help="recompute a lab run file's λmax, decisions and FLOPs")
    ck.add_argument("runs", nargs="+", help="run files exported by the lab")
    ck.add_argument("--data", default=None, help="data folder (to regenerate the probe and initial weights)")
    ck.add_argument("--out", required=True, help="where to write the results (JSON)")
    sub.add_parser("info", help="what this script covers")
    for p in (tr, ap):
        p.add_argument("--config", default=os.path.join(here, "config.json"))
        p.add_argument("--data", default=os.path.join(here, "data"))
        p.add_argument("--steps", type=int, default=None, help="training steps (default: the config's stopAt)")
        p.add_argument("--out", default="run.json", help="run file to write (rank 0)")
        p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        p.add_argument("--ddp-freeze", choices=["rebuild", "find-unused"], default="rebuild")
        p.add_argument("--init", choices=["lab", "torch"], default="lab",
                       help="initial weights from the lab's stream (same as the lab) or torch's")
        p.add_argument("--threads", type=int, default=0, help="torch threads per process (0: torch's default)")
        p.add_argument("--log-every", type=int, default=10)
    args = ap.parse_args(argv)
    if args.command == "info":
        print(json.dumps({"format": SCRIPT_FORMAT, "models": list(SUPPORTED_MODELS), "notCovered": NOT_COVERED,
                          "torch": torch.__version__, "gloo": dist.is_gloo_available(),
                          "nccl": dist.is_nccl_available()}))
        return 0
    if args.command == "check":
        results = []
        for path in args.runs:
            with open(path, encoding="utf-8") as f:
                results.append({"file": path, **check_run(json.load(f), args.data)})
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"runs": results}, f)
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    steps = args.steps if args.steps is not None else cfg.get("stopAt") or 0
    if steps < 1:
        raise ConfigError("steps: give --steps N (the config's stopAt is 0).")
    env = Dist(args.device)
    trainer = None
    try:
        t0 = time.perf_counter()
        trainer = Trainer(cfg, args, env)
        setup_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = trainer.train(steps)
        train_s = time.perf_counter() - t1
        if env.rank == 0:
            run = trainer.run_file(result)
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump(run, f, allow_nan=False)
            print(json.dumps({"out": args.out, "steps": steps, "world": env.world, "setupSeconds": setup_s,
                              "trainSeconds": train_s, "medianStepMs": run["medianStepMs"],
                              "ddpBuilds": trainer.rebuilds, "ddpBuildSeconds": trainer.rebuild_s,
                              "ddpFreeze": args.ddp_freeze,
                              "finalLoss": run["metrics"]["loss"][-1]}), flush=True)
    finally:
        if trainer is not None:
            trainer.wrapper = None  # the DDP reducer before the process group
        env.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ConfigError, FileNotFoundError) as e:
        print(f"mat_train.py: {e}", file=sys.stderr)
        sys.exit(2)
