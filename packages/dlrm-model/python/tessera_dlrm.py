"""Loads a @tessera/dlrm-model checkpoint into PyTorch (facebookresearch/dlrm ``dlrm_s_pytorch.py`` ``DLRM_Net``).

A tessera checkpoint (``tessera-dlrm train --save-model m.safetensors`` or ``exportSafetensors(model)``) is a
safetensors file holding exactly ``DLRM_Net``'s ``state_dict`` tensors (F32, names and shapes of the reference) plus
the reference's arch strings, in ``m.safetensors.json`` and in the file's ``__metadata__`` (key ``tessera.dlrm``).

As a library::

    import tessera_dlrm
    sd, arch = tessera_dlrm.load_checkpoint("m.safetensors")
    net = DLRM_Net(**tessera_dlrm.dlrm_net_kwargs(arch))   # DLRM_Net from dlrm_s_pytorch.py
    net.load_state_dict(sd)                                  # strict: every name and shape matches

From the command line, writing the dict that ``dlrm_s_pytorch.py --load-model`` reads::

    python3 tessera_dlrm.py m.safetensors m.pt

Needs torch and numpy; uses the ``safetensors`` package when it is installed and reads the file itself otherwise
(the format is an 8-byte little-endian header length, a JSON header, then the raw tensor bytes).
"""

import json
import os
import struct
import sys

import numpy as np
import torch

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}


def read_safetensors(path):
    """Returns ({name: torch.Tensor}, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(raw)[8 + n :]
    tensors = {}
    for name, h in header.items():
        dt = _DTYPES.get(h["dtype"])
        if dt is None:
            raise ValueError(f"{path}: tensor {name!r} has dtype {h['dtype']}, expected one of {sorted(_DTYPES)}")
        s, e = h["data_offsets"]
        count = int(np.prod(h["shape"])) if h["shape"] else 1
        if e - s != count * dt.itemsize or e > len(data):
            raise ValueError(f"{path}: tensor {name!r}: data_offsets {s}..{e} do not fit shape {h['shape']}")
        a = np.frombuffer(data[s:e], dtype=dt).reshape(h["shape"]).copy()
        tensors[name] = torch.from_numpy(a)
    return tensors, meta


def load_checkpoint(path):
    """Returns (state_dict, arch) of a tessera DLRM checkpoint; arch from ``<path>.json`` or else the file metadata."""
    try:
        from safetensors.torch import load_file, safe_open  # optional

        sd = load_file(path)
        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
    except ImportError:
        sd, meta = read_safetensors(path)
    side = path + ".json"
    if os.path.exists(side):
        with open(side, encoding="utf-8") as f:
            arch = json.load(f)
    elif "tessera.dlrm" in meta:
        arch = json.loads(meta["tessera.dlrm"])
    else:
        raise ValueError(f"{path}: no arch strings (neither {side} nor 'tessera.dlrm' in the metadata)")
    return sd, arch


def _ints(s):
    return np.array([int(x) for x in str(s).split("-")], dtype=np.int64)


def dlrm_net_kwargs(arch):
    """The ``DLRM_Net(...)`` arguments of ``dlrm_s_pytorch.py``'s ``run()`` for these arch strings.

    ``arch-mlp-top`` is the command-line string (without the interaction width); as ``run()`` does, the interaction
    width is prepended, and the sigmoid goes after the last top layer.
    """
    m_spa = int(arch["arch-sparse-feature-size"])
    ln_emb = _ints(arch["arch-embedding-size"])
    ln_bot = _ints(arch["arch-mlp-bot"])
    op = arch["arch-interaction-op"]
    itself = arch.get("arch-interaction-itself") in (True, "true", "True", 1)
    num_fea = ln_emb.size + 1
    m_den_out = int(ln_bot[-1])
    if op == "dot":
        num_int = (num_fea * (num_fea + 1)) // 2 + m_den_out if itself else (num_fea * (num_fea - 1)) // 2 + m_den_out
    elif op == "cat":
        num_int = num_fea * m_den_out
    else:
        raise ValueError(f"arch-interaction-op must be dot or cat, got {op!r}")
    ln_top = _ints(f"{num_int}-{arch['arch-mlp-top']}")
    wp = arch.get("weighted-pooling", "none")
    return {
        "m_spa": m_spa,
        "ln_emb": ln_emb,
        "ln_bot": ln_bot,
        "ln_top": ln_top,
        "arch_interaction_op": op,
        "arch_interaction_itself": itself,
        "sigmoid_bot": -1,
        "sigmoid_top": ln_top.size - 2,
        "loss_threshold": float(arch.get("loss-threshold", 0.0)),
        "weighted_pooling": None if wp in (None, "none") else wp,
    }


def load_model_dict(sd):
    """The dict ``dlrm_s_pytorch.py --load-model`` reads (``torch.save`` it): the state dict and zeroed counters."""
    return {
        "state_dict": sd,
        "epoch": 0,
        "iter": 0,
        "nepochs": 1,
        "nbatches": 0,
        "nbatches_test": 0,
        "train_loss": 0.0,
        "total_loss": 0.0,
        "test_acc": 0.0,
        "test_auc": 0.0,
        "opt_state_dict": {},
    }


def main(argv):
    if len(argv) != 3:
        print("usage: python3 tessera_dlrm.py m.safetensors m.pt", file=sys.stderr)
        return 2
    sd, arch = load_checkpoint(argv[1])
    torch.save(load_model_dict(sd), argv[2])
    a = dlrm_net_kwargs(arch)
    print(
        f"wrote {argv[2]}; run: python dlrm_s_pytorch.py --load-model {argv[2]} --inference-only"
        f" --arch-sparse-feature-size {a['m_spa']} --arch-embedding-size {arch['arch-embedding-size']}"
        f" --arch-mlp-bot {arch['arch-mlp-bot']} --arch-mlp-top {arch['arch-mlp-top']}"
        f" --arch-interaction-op {a['arch_interaction_op']}"
        + (" --arch-interaction-itself" if a["arch_interaction_itself"] else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
