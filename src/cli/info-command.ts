/**
 * `webrnn info`: what webrnn would run on here — the WebGPU adapter, the device limits that bound
 * model and batch sizes, the optional features, the host and webrnn's version — as text or JSON.
 */
import { readFileSync } from 'node:fs';
import { arch, cpus, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { acquireDevice } from '../gpu/device.js';
import { UsageError } from './usage-error.js';

export const INFO_HELP = `Usage: webrnn info [--json]

Shows the WebGPU adapter webrnn uses here (name, vendor, architecture, description), the host, the
device limits that bound model and batch sizes, the adapter's optional features (shader-f16,
timestamp-query, subgroups, …) and the webrnn version.

  --json              one JSON object instead of text
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

/** What `webrnn info --json` prints. */
export interface InfoReport {
  webrnn: string;
  host: { runtime: string; version: string; platform: string; arch: string; osRelease: string; cpus: number };
  adapter: { name: string; vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  /** what webrnn's device gets (it asks for the adapter's full buffer and workgroup limits) */
  limits: Record<string, number>;
  /** the adapter's optional features, sorted */
  features: string[];
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
  ];
  return `${lines.join('\n')}\n`;
}

/** Runs `webrnn info`; returns the exit status. */
export async function infoCommand(args: string[], out: (s: string) => void): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(`info: ${(e as Error).message} (see webrnn info --help)`);
  }
  if (values.help) {
    out(INFO_HELP);
    return 0;
  }
  const report = await collect();
  out(values.json ? `${JSON.stringify(report, null, 2)}\n` : text(report));
  return 0;
}
