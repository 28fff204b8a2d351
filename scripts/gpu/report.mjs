// Turns the files one GPU run wrote to $OUT (env.txt, smoke.json, conformance-webgpu.json, gpu.json) into the
// Markdown tables of GPU.md. Usage: node scripts/gpu/report.mjs <folder with the run's files>
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/gpu/report.mjs <folder>');
const read = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : null);
const json = (f) => {
  const t = read(f);
  return t ? JSON.parse(t) : null;
};
const env = read('env.txt')?.split('\n') ?? [];
const smoke = json('smoke.json');
const confs = [
  ['the packages by themselves', json('conformance-webgpu.json')],
  [
    "with @tessera/webgpu's kernels registered (TESSERA_WEBGPU_KERNELS=1: registerWebGPUKernels())",
    json('conformance-webgpu-kernels.json'),
  ],
].filter(([, c]) => c);
const conf = confs[0]?.[1];
const bench = json('gpu.json');
const out = [];
const gpuLine = env.find((l) => l.startsWith('NVIDIA')) ?? '';
out.push(
  `Run of ${env[0] ?? '?'}: ${gpuLine.split(',').slice(0, 2).join(', driver')}; Node ${conf?.node ?? '?'}, ${conf?.cpus ?? '?'} CPU cores; `,
);
if (smoke?.adapter) {
  const a = smoke.adapter;
  out[out.length - 1] +=
    `WebGPU adapter \`${a.vendor}\` / \`${a.device}\` (\`${a.description}\`), through Dawn (npm \`webgpu\` 0.6.2) on Vulkan; tfjs-backend-webgpu 4.22.0 with timestamp queries ${smoke.timestampQuery ? 'on' : 'off'}.`;
  out.push('');
  out.push(
    `Smoke: \`initBackend('webgpu')\` → ${smoke.backend?.name} via ${smoke.backend?.module}; 512² matMul vs the cpu backend max |Δ| ${smoke.matmul512?.maxAbsDiff?.toExponential(2)} for values up to ${smoke.matmul512?.maxAbsValue?.toFixed(1)}; tf.matMul 4096³ ${smoke.matmul?.tflopsKernel?.toFixed(1)} TFLOP/s (GPU timestamps), ${smoke.matmul?.tflopsBatched?.toFixed(1)} TFLOP/s (wall, batched); tf.add 2^26 ${smoke.add?.gbpsKernel?.toFixed(0)} GB/s (timestamps), ${smoke.add?.gbpsBatched?.toFixed(0)} GB/s (wall, batched); 64 MiB read back ${smoke.readback64MiBMs?.toFixed(0)} ms, uploaded ${smoke.upload64MiBMs?.toFixed(0)} ms.`,
  );
}
for (const [title, conf] of confs) {
  out.push('', `Conformance, ${title}:`);
  out.push('', '| suite | tests | passed | failed | skipped | seconds | failures by cause |', '|---|---:|---:|---:|---:|---:|---|');
  let tot = [0, 0, 0, 0];
  for (const s of conf.suites) {
    const causes = s.causes
      ? Object.entries(s.causes)
          .map(([k, v]) => `${v} × ${k}`)
          .join('; ')
      : (s.error ?? '');
    out.push(
      `| ${s.pkg} | ${s.total ?? '–'} | ${s.passed ?? '–'} | ${s.failed ?? '–'} | ${s.skipped ?? '–'} | ${s.seconds.toFixed(1)} | ${causes || '–'} |`,
    );
    tot = tot.map((t, i) => t + ([s.total, s.passed, s.failed, s.skipped][i] ?? 0));
  }
  out.push(`| **all** | ${tot[0]} | ${tot[1]} | ${tot[2]} | ${tot[3]} | | |`);
  const other = conf.suites.flatMap((s) => (s.failures ?? []).filter((f) => !/dataSync/.test(f.cause)).map((f) => ({ pkg: s.pkg, ...f })));
  if (other.length) {
    out.push('', 'Failures, and test files that could not run, not caused by a synchronous read (first line of each):', '');
    for (const f of other)
      out.push(
        `- ${f.pkg} \`${f.file}\` — ${f.test}: ${f.message.split(' | ')[0].slice(0, 200)}${f.message.includes('Caused by') ? ` (${f.message.slice(f.message.indexOf('Caused by')).slice(0, 120)})` : ''}`,
      );
  }
}
if (bench) {
  out.push('', '| case | ratio | meaning | goal | detail |', '|---|---:|---|---|---|');
  for (const r of bench.rows)
    out.push(`| ${r.case} | ${r.ratio.toFixed(3)} | ${r.ratioMeaning} vs ${r.baseline} | ${r.goal ?? ''} | ${r.detail ?? ''} |`);
  out.push('');
  for (const n of bench.notes ?? []) out.push(`- ${n}`);
}
console.log(out.join('\n'));
