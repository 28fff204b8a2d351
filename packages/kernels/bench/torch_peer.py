"""PyTorch side of @tessera/kernels' peer benchmark (driven by bench/torch-peer.ts; not meant to be run alone).

Usage: python3 torch_peer.py DATA_DIR

Reads the raw little-endian arrays the Node side wrote into DATA_DIR, then answers one JSON command per stdin line
with one JSON line on stdout, so that the Node side can interleave its own timing rounds with ours (the VM is
shared; both sides of every ratio must see the same load):

  {"op": "setup_bag", "id", "R", "D", "nBags", "table", "ids", "offsets", "weights", "gout"}
  {"op": "setup_mm", "id", "M", "K", "N", "A", "B"}
  {"op": "setup_mx", "id", "n", "x"}
  {"op": "time", "id", "variant", "reps"}        -> {"ms": [...], "cpuMs": [...]} (wall clock, process CPU time)
  {"op": "quit"}

Single thread (torch.set_num_threads(1)). Each setup writes torch's results next to the inputs (<id>_*.out.bin) so
the Node side checks that both sides computed the same thing.
"""

import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass

DIR = sys.argv[1]
STATE = {}


def load(name, dtype, shape):
    a = np.fromfile(os.path.join(DIR, name), dtype=dtype)
    return torch.from_numpy(a).reshape(shape)


def save(name, t):
    t.detach().contiguous().numpy().astype("<f4").tofile(os.path.join(DIR, name))


def setup_bag(c):
    R, D, B = c["R"], c["D"], c["nBags"]
    table = load(c["table"], "<f4", (R, D))
    # torch's own index type (int64), converted once outside the timings, as a torch user holds them
    ids = load(c["ids"], "<i4", (-1,)).to(torch.int64)
    offsets = load(c["offsets"], "<i4", (B + 1,)).to(torch.int64)
    weights = load(c["weights"], "<f4", (-1,))
    gout = load(c["gout"], "<f4", (B, D))
    w = table.clone().requires_grad_(True)
    ws = table.clone().requires_grad_(True)

    def fwd():
        with torch.no_grad():
            return F.embedding_bag(ids, table, offsets, mode="sum", include_last_offset=True)

    def fwd_w():
        with torch.no_grad():
            return F.embedding_bag(ids, table, offsets, mode="sum", per_sample_weights=weights, include_last_offset=True)

    def fwdbwd_dense():
        w.grad = None
        out = F.embedding_bag(ids, w, offsets, mode="sum", include_last_offset=True, sparse=False)
        out.backward(gout)
        return w.grad

    def fwdbwd_sparse():
        ws.grad = None
        out = F.embedding_bag(ids, ws, offsets, mode="sum", include_last_offset=True, sparse=True)
        out.backward(gout)
        return ws.grad

    STATE[c["id"]] = {"fwd": fwd, "fwd_w": fwd_w, "fwdbwd_dense": fwdbwd_dense, "fwdbwd_sparse": fwdbwd_sparse}
    save(c["id"] + "_fwd.out.bin", fwd())
    save(c["id"] + "_fwd_w.out.bin", fwd_w())
    g = fwdbwd_dense()
    gs = fwdbwd_sparse().coalesce().to_dense()
    # column sums of the dense weight gradient (float64), and the largest difference between the sparse and dense grads
    return {
        "gradColSum": g.double().sum(dim=0).tolist(),
        "sparseVsDense": float((gs - g).abs().max()),
    }


def setup_mm(c):
    M, K, N = c["M"], c["K"], c["N"]
    A = load(c["A"], "<f4", (M, K))
    Bm = load(c["B"], "<f4", (K, N))
    out = {}
    fns = {"matmul": lambda: torch.matmul(A, Bm)}
    try:
        import warnings

        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        Acsr = A.to_sparse_csr()
        r = torch.matmul(Acsr, Bm)
        out["csrMaxDiff"] = float((r - torch.matmul(A, Bm)).abs().max())
        fns["csr"] = lambda: torch.matmul(Acsr, Bm)
    except Exception as e:  # noqa: BLE001 - reported to the Node side as context
        out["csrError"] = f"{type(e).__name__}: {e}"
    STATE[c["id"]] = fns
    save(c["id"] + "_matmul.out.bin", fns["matmul"]())
    return out


# ---- MXFP8 E4M3 fake quantization with torch ops, following microxcaling's approach (microsoft/microxcaling
# mx/mx_ops.py _quantize_mx, mx/elemwise_ops.py _quantize_elemwise_core): per-block amax, shared exponent
# floor(log2(amax)) - emax, element rounding by scaling the mantissa bits and rounding ('nearest': ties away from 0),
# saturation to the max normal. A reimplementation with torch ops, not microxcaling itself.
E4M3_EMAX, E4M3_MBITS, E4M3_MIN_EXP, E4M3_MAX_NORM = 8, 5, -6, 448.0
FP32_MIN_NORMAL = 2.0 ** -126


def mx_fake_quant_e4m3(x, block=32):
    A = x.view(-1, block)
    amax = A.abs().amax(dim=1, keepdim=True)
    shared_exp = torch.floor(torch.log2(amax + FP32_MIN_NORMAL * (amax == 0).to(A.dtype))) - E4M3_EMAX
    shared_exp = shared_exp.clamp(min=-127, max=127)
    scale = torch.pow(2.0, shared_exp)
    As = A / scale
    private_exp = torch.floor(torch.log2(As.abs() + (As == 0).to(A.dtype))).clamp(min=E4M3_MIN_EXP)
    s = torch.pow(2.0, (E4M3_MBITS - 2) - private_exp)
    q = torch.sign(As) * torch.floor((As * s).abs() + 0.5) / s
    q = q.clamp(min=-E4M3_MAX_NORM, max=E4M3_MAX_NORM)
    return (q * scale).view(-1)


def setup_mx(c):
    x = load(c["x"], "<f4", (c["n"],))
    fns = {"fakequant": lambda: mx_fake_quant_e4m3(x)}
    STATE[c["id"]] = fns
    save(c["id"] + "_fakequant.out.bin", fns["fakequant"]())
    return {}


def time_it(c):
    fn = STATE[c["id"]][c["variant"]]
    ms = []
    cpu = []
    for _ in range(c["reps"]):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return {"ms": ms, "cpuMs": cpu}


def blas_libraries():
    """The BLAS shared objects this process mapped after a matmul (Debian picks one through its alternatives)."""
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64))
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            libs = {ln.split()[-1] for ln in f if "blas" in ln.lower() and "/" in ln}
        return sorted(os.path.realpath(x) for x in libs)
    except OSError:
        return []


def main():
    info = {
        "blasLibs": blas_libraries(),
        "ready": True,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "capability": next(
            (s.split(":")[1].strip() for s in torch.__config__.show().split("\n") if "CPU capability usage" in s), "?"
        ),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "blas": next((s.split("=")[1] for s in torch.__config__.show().replace(",", "\n").split("\n") if "BLAS_INFO" in s), "?"),
    }
    print(json.dumps(info), flush=True)
    ops = {"setup_bag": setup_bag, "setup_mm": setup_mm, "setup_mx": setup_mx, "time": time_it}
    for line in sys.stdin:
        c = json.loads(line)
        if c["op"] == "quit":
            break
        try:
            r = ops[c["op"]](c)
        except Exception as e:  # noqa: BLE001 - the Node side reports it
            r = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
