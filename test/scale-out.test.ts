// examples/scale-out, a few steps each way: PyTorch DistributedDataParallel (torchrun, 2 processes,
// gloo on CPU) trains the character LSTM on Brown ids, webrnn loads the file, must compute the same
// validation loss and next-batch loss (≤ 1e-5 relative) and samples from it, the browser demo's
// run-model.html (headless Chromium) samples from the same file, webrnn fine-tunes and exports it, and
// the DDP script must compute webrnn's numbers (≤ 1e-5) before it continues. A tampered file must be
// refused on both sides. Needs Debian's python3-torch: `npm test` installs it
// (scripts/setup.sh --with-torch); without it this file fails, it does not skip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { build, preview } from 'vite';
import { afterAll, describe, expect, test } from 'vitest';
import { checkModel, fineTune, prepareData, type ScaleOutData } from '../examples/scale-out/scale-out.js';
import { parseSafetensors, serializeSafetensors, type SafeTensor } from '../src/index.js';
import { readTorchStateDict } from '../src/interop/index.js';
import { asyncCode, engine, scoped, useEngine } from './helpers/gpu-test.js';
import { hostEnv } from './hosts/host-report.mjs';
import { chromiumArgs, chromiumPath } from './hosts/run-chromium.mjs';

useEngine();

const PYTHON = '/usr/bin/python3';
const here = fileURLToPath(new URL('../examples/scale-out/', import.meta.url));
const TOLERANCE = 1e-5;
const dir = mkdtempSync(join(tmpdir(), 'webrnn-scale-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (f: string) => join(dir, f);

/**
 * train_ddp.py under torchrun (examples/scale-out/torchrun.py: torchrun with its Python 3.11 fix) on
 * one node, 2 processes. As --standalone, but its rendezvous on a free port rather than on 29400.
 */
async function torchrun(args: string[]): Promise<{ status: number | null; output: string }> {
  const rendezvous = ['--nnodes=1', '--rdzv_backend=c10d', `--rdzv_endpoint=127.0.0.1:${await freePort()}`, '--rdzv_id=webrnn-scale-out-test'];
  const r = spawnSync(PYTHON, [join(here, 'torchrun.py'), ...rendezvous, '--nproc_per_node=2', '--monitor_interval=0.5', join(here, 'train_ddp.py'), ...args], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** A TCP port nobody listens on now, for the process group's rendezvous. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A copy of a model file with one metadata entry changed. */
function withMetadata(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const f = parseSafetensors(bytes, { copy: true });
  return serializeSafetensors(f.tensors as Map<string, SafeTensor>, { ...f.metadata, [key]: value });
}

describe('scale-out: PyTorch DDP ↔ webrnn', () => {
  let data: ScaleOutData;
  let model: Uint8Array;
  let finetuned: Uint8Array;

  test('Debian python3-torch with gloo is installed (npm test installs it)', () => {
    const r = spawnSync(PYTHON, ['-c', 'import torch, torch.distributed as d; assert d.is_available() and d.is_gloo_available(); print(torch.__version__)'], { encoding: 'utf8' });
    expect(r.status, `${PYTHON} has no PyTorch with the gloo backend: run \`bash scripts/setup-system.sh --with-torch\` (apt-get install python3-torch)\n${r.stderr}`).toBe(0);
  });

  test('DDP trains on 2 processes; webrnn loads the state_dict and computes the same losses', async () => {
    const prepared = prepareData({ maxChars: 24_000 });
    data = prepared.data;
    writeFileSync(at('data.safetensors'), prepared.bytes);
    const r = await torchrun(['--data', at('data.safetensors'), '--out', at('model.safetensors'), '--steps', '6', '--hidden', '24', '--embedding', '8', '--batch', '4', '--bptt', '12', '--lr', '0.02', '--val-windows', '3', '--report', at('ddp.json')]);
    expect(r.status, r.output).toBe(0);
    const report = JSON.parse(readFileSync(at('ddp.json'), 'utf8')) as { world_size: number; losses: number[] };
    expect(report.world_size).toBe(2);
    expect(report.losses.length).toBe(6);
    expect(report.losses.every(Number.isFinite)).toBe(true);

    model = readFileSync(at('model.safetensors'));
    // What carries over: PyTorch's names for a module with children embedding, rnn, linear, all float32.
    const sd = readTorchStateDict(model);
    expect([...sd.original.values()].map((o) => `${o.name}:${o.dtype}`).sort()).toEqual(
      ['embedding.weight', 'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'linear.weight', 'linear.bias'].map((n) => `${n}:F32`).sort(),
    );
    const r2 = await scoped(() => checkModel(engine, model, data, { tolerance: TOLERANCE, sampleLength: 40 }));
    console.log(`DDP → webrnn: val_loss rel diff ${r2.agreement.val_loss.relative_difference.toExponential(2)}, next_batch_loss ${r2.agreement.next_batch_loss.relative_difference.toExponential(2)}`);
    for (const a of Object.values(r2.agreement)) expect(a.relative_difference).toBeLessThanOrEqual(TOLERANCE);
    // 40 sampled symbols, less any special token (<PAD>, <UNK>, <EOS>) the barely trained model drew
    expect([...r2.sample].length).toBeGreaterThanOrEqual(20);
    expect([...r2.sample].length).toBeLessThanOrEqual(40);
    expect(r2.trainedBy).toMatch(/DistributedDataParallel \(2 processes, gloo\)/);
  });

  test('the browser demo (run-model.html, headless Chromium) loads the DDP model and samples from it', async () => {
    // demo.test.ts builds into demo/dist: this build goes to its own folder, so both can run at once.
    const outDir = at('demo-dist');
    const configFile = fileURLToPath(new URL('../demo/vite.config.ts', import.meta.url));
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production'; // vitest's NODE_ENV=test would make vite build for development
    try {
      await build({ configFile, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    const server = await preview({ configFile, build: { outDir }, preview: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' });
    const browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, env: hostEnv() });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
      await page.goto(`${server.resolvedUrls!.local[0]}run-model.html`, { waitUntil: 'load', timeout: 30_000 });
      await page.waitForFunction(() => (window as unknown as { __runModel?: { ready: boolean } }).__runModel?.ready, { timeout: 30_000, polling: 100 });
      const input = await page.$('input#model-file');
      await input!.uploadFile(at('model.safetensors'));
      await page.waitForFunction(() => {
        const s = (window as unknown as { __runModel: { samples: string[]; errors: string[] } }).__runModel;
        return s.samples.length > 0 || s.errors.length > 0;
      }, { timeout: 60_000, polling: 250 });
      const s = await page.evaluate(() => (window as unknown as { __runModel: { model: { vocab: number; valLoss: number; trainedBy: string }; samples: string[]; errors: string[] } }).__runModel);
      expect(s.errors).toEqual([]);
      expect(errors).toEqual([]);
      expect(s.model.vocab).toBe(data.vocab.size);
      expect(s.model.valLoss).toBe(Number(parseSafetensors(model).metadata.val_loss));
      expect(s.model.trainedBy).toMatch(/DistributedDataParallel/);
      expect(s.samples[0]!.startsWith('The ')).toBe(true);
      expect(s.samples[0]!.length).toBeGreaterThan(4 + 100);
      expect(await page.$eval('#model-text', (e) => e.textContent)).toBe(s.samples[0]);
    } finally {
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
      await new Promise<void>((ok) => server.httpServer.close(() => ok()));
    }
  }, 180_000);

  test('webrnn refuses a file whose recorded loss it does not reproduce', async () => {
    const f = parseSafetensors(model);
    const tampered = withMetadata(model, 'val_loss', String(Number(f.metadata.val_loss) * (1 + 1e-4)));
    expect(await scoped(() => asyncCode(() => checkModel(engine, tampered, data, { tolerance: TOLERANCE })))).toBe('BAD_STATE');
  });

  test('webrnn fine-tunes and exports; the DDP script reproduces its losses and continues', async () => {
    const ft = await scoped(() => fineTune(engine, model, data, { steps: 4, tolerance: TOLERANCE, sampleLength: 20 }));
    expect(ft.losses.length).toBe(4);
    expect(ft.losses.every(Number.isFinite)).toBe(true);
    finetuned = ft.bytes;
    writeFileSync(at('finetuned.safetensors'), finetuned);
    const r = await torchrun(['--data', at('data.safetensors'), '--init', at('finetuned.safetensors'), '--out', at('continued.safetensors'), '--steps', '3', '--report', at('continued.json')]);
    expect(r.status, r.output).toBe(0);
    const report = JSON.parse(readFileSync(at('continued.json'), 'utf8')) as { agreement: Record<'val_loss' | 'next_batch_loss', { file: number; pytorch: number; relative_difference: number }>; losses: number[] };
    console.log(`webrnn → DDP: val_loss rel diff ${report.agreement.val_loss.relative_difference.toExponential(2)}, next_batch_loss ${report.agreement.next_batch_loss.relative_difference.toExponential(2)}`);
    expect(report.agreement.val_loss.file).toBe(ft.after.val_loss);
    expect(report.agreement.next_batch_loss.file).toBe(ft.after.next_batch_loss);
    for (const a of Object.values(report.agreement)) expect(a.relative_difference).toBeLessThanOrEqual(TOLERANCE);
    expect(report.losses.length).toBe(3);
    expect(report.losses.every(Number.isFinite)).toBe(true);
  });

  test('the DDP script refuses a file whose recorded loss it does not reproduce', async () => {
    writeFileSync(at('tampered.safetensors'), withMetadata(finetuned, 'next_batch_loss', '1.5'));
    // one process without the launcher (env:// rendezvous), enough to reach the check
    const r = spawnSync(PYTHON, [join(here, 'train_ddp.py'), '--data', at('data.safetensors'), '--init', at('tampered.safetensors'), '--out', at('never.safetensors'), '--steps', '1'], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, OMP_NUM_THREADS: '1', RANK: '0', WORLD_SIZE: '1', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(await freePort()) },
    });
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/next_batch_loss differs by .* relative \(> 1e-05\): not the same model or data; stopping before training/);
  });
});
