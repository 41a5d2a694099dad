/**
 * `webrnn info`: what webrnn would run on here — the WebGPU adapter, the device limits that bound
 * model and batch sizes, the optional features, the host and webrnn's version — as text or JSON.
 */
import { readFileSync } from 'node:fs';
import { arch, cpus, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDevice } from '../gpu/device.js';
import { parseFlags } from './flags.js';

/** The workload `webrnn info --kernels` tunes for: the README's first example, in each cell. */
const KERNELS_WORKLOAD = 'the README example: LSTM, GRU and RNN, input 8, hidden 16, 2 layers, bidirectional, T 5, B 3, forward + backward';

export const INFO_HELP = `Usage: webrnn info [--json] [--kernels]

Shows the WebGPU adapter webrnn uses here (name, vendor, architecture, description), the host, the
device limits that bound model and batch sizes, the adapter's optional features (shader-f16,
timestamp-query, subgroups, …), the precisions a recurrent layer can run with (f16-weights needs
shader-f16) and the webrnn version.

  --json              one JSON object instead of text
  --kernels           instead: every kernel with variants, and what the tuner chooses on this adapter
                      for a small standard workload (${KERNELS_WORKLOAD}); with --json,
                      {"kernels": {"<kernel>": {"variants": [...], "chosen": {"<shape class>": "<variant>"}}}}
  --debug             show stack traces on errors
  -h, --help          show this help
`;

/** The limits that decide how large a model, batch or sequence fits (buffer sizes, grids, workgroups). */
export const INFO_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

/** Features a kernel variant could use; reported as yes/no in the text form. */
const NOTABLE_FEATURES = ['shader-f16', 'timestamp-query', 'subgroups'];

/** What `webrnn info --kernels --json` prints. */
export interface KernelsReport {
  adapter: string;
  workload: string;
  /** wall-clock time the tuner spent, ms, and how it timed */
  tuning: { ms: number; budgetMs: number; method: string };
  /** per kernel: its variants, and per shape class of the workload the variant chosen (measured or, for classes not timed, today's) */
  kernels: Record<string, { variants: string[]; chosen: Record<string, string> }>;
}

async function collectKernels(): Promise<KernelsReport> {
  const { createEngine } = await import('../gpu/engine.js');
  const { KERNEL_VARIANTS } = await import('../gpu/kernel-variants.js');
  const { Recurrent } = await import('../layers/recurrent.js');
  const engine = await createEngine({ tuning: 'auto' });
  try {
    // the layers live until the tuner is done: a measurement of a disposed layer's schedule is dropped
    const x = engine.tensor(new Float32Array(5 * 3 * 8).fill(0.5), [5, 3, 8]);
    for (const mode of ['LSTM', 'GRU', 'RNN_TANH'] as const) {
      const rnn = new Recurrent(engine, { mode, input_size: 8, hidden_size: 16, num_layers: 2, bidirectional: true }, { seed: 1 });
      await rnn.forward(x).output.read();
      await rnn.backward().grad_input.read();
    }
    const report = await engine.tuned();
    const kernels: KernelsReport['kernels'] = {};
    for (const [k, variants] of Object.entries(KERNEL_VARIANTS)) {
      const chosen: Record<string, string> = {};
      for (const r of report.measured.filter((m) => m.kernel === k)) chosen[r.shapeClass] = r.chosen;
      kernels[k] = { variants: [...variants], chosen };
    }
    return { adapter: engine.adapterName, workload: KERNELS_WORKLOAD, tuning: { ms: Math.round(report.ms), budgetMs: report.budgetMs, method: report.method }, kernels };
  } finally {
    engine.dispose();
  }
}

function kernelsText(r: KernelsReport): string {
  const lines = [`adapter: ${r.adapter}`, `tuned for ${r.workload}: ${r.tuning.ms} ms (bound ${r.tuning.budgetMs} ms, ${r.tuning.method})`];
  for (const [k, { variants, chosen }] of Object.entries(r.kernels)) {
    lines.push(`${k}: ${variants.join(' | ')}`);
    const cs = Object.entries(chosen);
    if (!cs.length) lines.push('  not timed here (today\'s choice applies)');
    for (const [cls, v] of cs) lines.push(`  ${cls.padEnd(24)}${v}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What `webrnn info --json` prints. */
export interface InfoReport {
  webrnn: string;
  host: { runtime: string; version: string; platform: string; arch: string; osRelease: string; cpus: number };
  adapter: { name: string; vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  /** what webrnn's device gets (it asks for the adapter's full buffer and workgroup limits) */
  limits: Record<string, number>;
  /** the adapter's optional features, sorted */
  features: string[];
  /** the recurrent layers' precisions webrnn runs here (engine.precisions): 'f16-weights' needs shader-f16 */
  precisions: string[];
}

/** webrnn's version from its package.json (found upwards from this module: src/cli or dist/src/cli). */
export function webrnnVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'webrnn' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; look one folder up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

async function collect(): Promise<InfoReport> {
  // The same adapter and device request as createEngine(); the adapter itself is needed for its features.
  const a = await acquireDevice();
  try {
    const limits: Record<string, number> = {};
    for (const k of INFO_LIMITS) limits[k] = a.device.limits[k];
    const info = a.adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    const fallback = info.isFallbackAdapter ?? (a.adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
    const adapter = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
    // As Engine.adapterName says it.
    const name = adapter.description || [adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' ') || 'unknown adapter';
    return {
      webrnn: webrnnVersion(),
      host: { runtime: 'node', version: process.versions.node, platform: platform(), arch: arch(), osRelease: release(), cpus: cpus().length },
      adapter: { name, ...adapter, ...(typeof fallback === 'boolean' ? { isFallbackAdapter: fallback } : {}) },
      limits,
      features: [...a.adapter.features].sort(),
      // as Engine.precisions says it (the device requests shader-f16 when the adapter has it)
      precisions: a.device.features.has('shader-f16') ? ['f32', 'f16-weights'] : ['f32'],
    };
  } finally {
    a.device.destroy();
    void a.keepAlive; // Dawn's GPU object must outlive the device
  }
}

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? ` (${(bytes / (1 << 20)).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB)` : bytes >= 1024 ? ` (${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB)` : '';
}

function text(r: InfoReport): string {
  const a = r.adapter;
  const pad = (s: string) => s.padEnd(36);
  const lines = [
    `webrnn ${r.webrnn}`,
    `host: Node ${r.host.version} on ${r.host.platform} ${r.host.arch} (${r.host.osRelease}), ${r.host.cpus} CPUs`,
    `adapter: ${a.name}`,
    `  vendor: ${a.vendor || '-'}   architecture: ${a.architecture || '-'}   device: ${a.device || '-'}`,
    `  description: ${a.description || '-'}${a.isFallbackAdapter ? '   (fallback adapter)' : ''}`,
    'limits:',
    ...Object.entries(r.limits).map(([k, v]) => `  ${pad(k)}${v.toLocaleString('en-US')}${k.endsWith('Size') && !k.includes('WorkgroupSize') ? mib(v) : ''}`),
    `features: ${NOTABLE_FEATURES.map((f) => `${f} ${r.features.includes(f) ? 'yes' : 'no'}`).join(', ')}`,
    `  all: ${r.features.join(', ') || 'none'}`,
    `precisions: ${r.precisions.join(', ')} (a recurrent layer's option precision)`,
  ];
  return `${lines.join('\n')}\n`;
}

export const INFO_FLAGS = { json: { type: 'boolean' }, kernels: { type: 'boolean' } } as const;

/** Runs `webrnn info`; returns the exit status. */
export async function infoCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags('info', args, INFO_FLAGS);
  if (values.help) {
    out(INFO_HELP);
    return 0;
  }
  if (values.kernels) {
    const k = await collectKernels();
    out(values.json ? `${JSON.stringify(k, null, 2)}\n` : kernelsText(k));
    return 0;
  }
  const report = await collect();
  out(values.json ? `${JSON.stringify(report, null, 2)}\n` : text(report));
  return 0;
}
