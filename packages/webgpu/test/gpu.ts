// Which tests can run here. The kernel tests compare WGSL kernels with the host kernels and need the webgpu
// backend (a GPU, or a Vulkan driver Dawn accepts; see GPU.md at the repository root). On cpu and wasm they are
// skipped, with this reason in their suite name; the backend-independent tests (validation, errors) always run.
export const ON_WEBGPU = process.env.TESSERA_BACKEND === 'webgpu';
export const GPU_ONLY = ON_WEBGPU
  ? ''
  : ` [skipped: not runnable on the ${process.env.TESSERA_BACKEND || 'cpu'} backend; needs TESSERA_BACKEND=webgpu on a machine with a WebGPU adapter]`;

/** Deterministic float32 test data: normal values over many binades, subnormals, signed zeros and ties. */
export function mixedData(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  const u = new Uint32Array(x.buffer);
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const r = next();
    switch (r % 11) {
      case 0:
        u[i] = (next() & 0x807fffff) >>> 0; // subnormal or signed zero
        break;
      case 1:
        u[i] = r & 0x80000000; // ±0
        break;
      case 2:
        // a value on or near a grid tie: k/16 · 2^e with small k
        x[i] = (((next() % 97) - 48) / 16) * 2 ** ((next() % 21) - 10);
        break;
      case 3:
        u[i] = ((next() & 0x80000000) | (((next() % 254) + 1) << 23) | (next() & 0x7fffff)) >>> 0; // any normal
        break;
      default:
        x[i] = Math.fround((next() / 2 ** 32 - 0.5) * 2 ** (((r >>> 8) % 16) - 6));
    }
  }
  return x;
}
