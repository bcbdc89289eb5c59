#!/usr/bin/env python3
"""Puts the lab's data for config.json under ./data, in the lab's public/data layout, which is what
mat_train.py reads. Written by MAT Lab's "Export as PyTorch".

Sources (--source):
  - the lab's data URL (the default below when exported from the page, e.g.
    http://localhost:5173/data/): the files are downloaded;
  - a folder: a lab checkout's public/data (the default when exported by `npm run export:torch`);
  - `debian`: Fashion-MNIST only, from Debian's dataset-fashion-mnist package
    (/usr/share/datasets/fashion-mnist, `apt-get install dataset-fashion-mnist`).
Every file from the lab is checked against the sha256 in the lab's meta.json.

  python3 prepare_data.py                       # the default source
  python3 prepare_data.py --source ../mat-lab/public/data
"""

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys
import urllib.request

DEFAULT_SOURCE = {{DATA_SOURCE}}
DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"


def fetch(source: str, rel: str, dest: str) -> str:
    """Copies or downloads `rel` from `source` to `dest/rel`; returns the local path."""
    out = os.path.join(dest, rel)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if source.startswith(("http://", "https://")):
        url = source.rstrip("/") + "/" + rel
        with urllib.request.urlopen(url, timeout=120) as r, open(out, "wb") as f:
            shutil.copyfileobj(r, f)
    else:
        src = os.path.join(source, rel)
        if not os.path.isfile(src):
            raise FileNotFoundError(f"{src} not found: --source must be the lab's data folder (public/data) or URL.")
        shutil.copyfile(src, out)
    return out


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(path: str, expected: str) -> None:
    got = sha256(path)
    if got != expected:
        raise ValueError(f"{path}: sha256 {got}, the lab's meta.json says {expected}.")


def austen(source: str, dest: str) -> list:
    meta_path = fetch(source, "austen/meta.json", dest)
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    out = []
    check(fetch(source, "austen/vocab.json", dest), meta["vocabSha256"])
    for split in ("train", "val"):
        path = fetch(source, f"austen/{split}.bin", dest)
        check(path, meta["splits"][split]["sha256"])
        out.append(path)
    return out


def fashion(source: str, dest: str, images: int) -> list:
    full = images > 5000
    if source == "debian":
        return fashion_debian(dest, full)
    meta_path = fetch(source, "fashion-mnist/meta.json", dest)
    with open(meta_path, encoding="utf-8") as f:
        sums = json.load(f)["sha256"]
    names = (["full/train-images-idx3-ubyte.gz", "full/train-labels-idx1-ubyte.gz"] if full
             else ["subset-train.bin", "subset-train-labels.bin"])
    out = []
    for name in names:
        path = fetch(source, f"fashion-mnist/{name}", dest)
        check(path, sums[name])
        out.append(path)
    return out


def fashion_debian(dest: str, full: bool) -> list:
    """The lab's subset (the first 6000 training images) or the full files, from Debian's package."""
    images = os.path.join(DEBIAN_FASHION, "train-images-idx3-ubyte.gz")
    labels = os.path.join(DEBIAN_FASHION, "train-labels-idx1-ubyte.gz")
    if not os.path.isfile(images):
        raise FileNotFoundError(f"{images} not found: apt-get install dataset-fashion-mnist")
    base = os.path.join(dest, "fashion-mnist")
    os.makedirs(os.path.join(base, "full"), exist_ok=True)
    if full:
        out = [os.path.join(base, "full", os.path.basename(p)) for p in (images, labels)]
        shutil.copyfile(images, out[0])
        shutil.copyfile(labels, out[1])
        return out
    with gzip.open(images, "rb") as f:
        px = f.read()[16:16 + 6000 * 784]
    with gzip.open(labels, "rb") as f:
        lb = f.read()[8:8 + 6000]
    out = [os.path.join(base, "subset-train.bin"), os.path.join(base, "subset-train-labels.bin")]
    for path, data in zip(out, (px, lb)):
        with open(path, "wb") as f:
            f.write(data)
    return out


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE, help="the lab's data URL or folder, or 'debian'")
    ap.add_argument("--config", default=os.path.join(here, "config.json"))
    ap.add_argument("--dest", default=os.path.join(here, "data"))
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as f:
        cfg = json.load(f)
    model = cfg.get("model")
    if model == "bert":
        if args.source == "debian":
            raise ValueError("--source debian has Fashion-MNIST only; the Austen corpus comes from the lab.")
        paths = austen(args.source, args.dest)
    elif model == "vgg":
        paths = fashion(args.source, args.dest, int(cfg.get("images", 2000)))
    else:
        raise ValueError(f"model: {model!r} is not covered by this export (bert and vgg are).")
    for p in paths:
        print(f"{p}: {os.path.getsize(p)} bytes")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError) as e:
        print(f"prepare_data.py: {e}", file=sys.stderr)
        sys.exit(1)
