// The demo's VAD page (demo/vad.html) in headless Chromium on SwiftShader, as test/demo.test.ts drives the
// demo: built with vite, served by vite's preview server. A WAV of espeak-ng sentences
// (test/helpers/speech-recording.ts) is uploaded through the file input; the page's segments must EQUAL
// what the Node example (examples/vad/run.mjs --json, same model, same file) prints — the same module
// makes both, so this checks webrnn's probabilities in Chromium cross vad-web's thresholds on the same
// frames as in Node — the timeline canvas must be drawn (probability line and segment bands) and the page
// must report no errors. Chromium's fake microphone (--use-fake-device-for-media-stream, a beeping tone)
// checks the getUserMedia path grows a timeline too. Needs `npm run build` (for the Node example). Leaves a
// screenshot of the analysed file in /tmp/vad-demo.png (WEBRNN_VAD_SCREENSHOT changes the path).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { VadPageState } from '../demo/vad.ts';
import { writeWav } from '../examples/vad/silero-vad.mjs';
import { ROOT } from './helpers/cli-run.js';
import { collectPageErrors, launchChromium, serveDemo } from './helpers/demo-server.js';
import { speechRecording } from './helpers/speech-recording.js';
import { chromiumPath } from './hosts/run-chromium.mjs';

declare const window: { __vad: VadPageState };
const seconds = 1000;
const screenshot = process.env.WEBRNN_VAD_SCREENSHOT || '/tmp/vad-demo.png';

let server: PreviewServer | undefined;
let browser: Browser | undefined;
let url = '';
let dir = '';
let wavFile = '';

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`chromium missing at ${chromiumPath} (run npm run setup)`);
  if (!existsSync(join(ROOT, 'dist', 'src', 'interop', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` before this test (the Node example imports webrnn from it)');
  if (!existsSync(join(ROOT, 'src', 'gpu', 'shader-sources.gen.ts'))) spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-shaders.mjs')]);
  dir = mkdtempSync(join(tmpdir(), 'webrnn-vad-demo-'));
  const speech = speechRecording(['Voice activity detection runs in the page.', 'Then it is quiet again.']);
  wavFile = join(dir, 'speech.wav');
  writeFileSync(wavFile, writeWav(speech.samples, speech.rate));
  // its own build folder: test/demo.test.ts builds into demo/dist and may run at the same time
  ({ server, url } = await serveDemo(join(dir, 'demo-dist')));
  browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required']);
}, 180 * seconds);

afterAll(async () => {
  await browser?.close().catch(() => browser?.process()?.kill('SIGKILL'));
  await new Promise<void>((ok) => (server ? server.httpServer.close(() => ok()) : ok()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openVad(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const errors = collectPageErrors(page);
  await page.goto(`${url}vad.html`, { waitUntil: 'load', timeout: 30 * seconds });
  await page.waitForFunction(() => window.__vad?.ready, { timeout: 60 * seconds, polling: 100 });
  const state = await page.evaluate(() => window.__vad);
  expect(state.errors, 'page errors at start').toEqual([]);
  expect(state.adapter, 'a WebGPU adapter').not.toBe('');
  return { page, errors };
}

/** Pixels of the timeline canvas: painted at all, and in the probability line's blue and the segments' green. */
const canvasPixels = (page: Page) =>
  page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('#vad-timeline')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    let blue = 0;
    let green = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      painted++;
      if (d[i + 2] > 150 && d[i] < 100) blue++;
      if (d[i + 1] > d[i] + 20 && d[i + 1] > d[i + 2] + 20) green++;
    }
    return { painted, blue, green };
  });

describe('demo VAD page (headless Chromium, SwiftShader)', () => {
  test('a WAV file: the Node example\'s segments, a drawn timeline, no errors', async () => {
    const node = spawnSync(process.execPath, [join(ROOT, 'examples', 'vad', 'run.mjs'), wavFile, '--model', 'v5', '--json'], { encoding: 'utf8', timeout: 240 * seconds });
    expect(node.status, node.stderr).toBe(0);
    const want = JSON.parse(node.stdout) as { segments: { startMs: number; endMs: number; audioStartMs: number }[]; frames: number; rtf: number };
    expect(want.segments.length, 'the Node example finds the two sentences').toBe(2);

    const { page, errors } = await openVad();
    await page.select('#vad-model', 'v5');
    const input = await page.$('#vad-file');
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(wavFile);
    await page.waitForFunction(() => window.__vad.done || window.__vad.errors.length > 0, { timeout: 280 * seconds, polling: 250 });
    const got = await page.evaluate(() => window.__vad);
    console.log(`demo VAD page (${got.adapter}): ${got.probs.length} frames in ${(got.ms / 1000).toFixed(2)} s, real-time factor ${got.rtf.toFixed(3)} (Node example: ${want.rtf.toFixed(3)}); segments ${got.segments.map((s) => `${s.startMs / 1000}–${s.endMs / 1000}`).join(', ')}`);
    expect(got.errors).toEqual([]);
    expect(got.probs.length).toBe(want.frames);
    expect(got.segments, 'the Node example\'s segments').toEqual(want.segments);
    expect(got.draws).toBeGreaterThan(1);
    const px = await canvasPixels(page);
    expect(px.blue, 'the probability line').toBeGreaterThan(500);
    expect(px.green, 'the segment bands').toBeGreaterThan(1000);
    expect(await page.$$eval('#vad-segments li', (li) => li.map((l) => l.textContent))).toEqual(want.segments.map((s) => `${(s.startMs / 1000).toFixed(3)} – ${(s.endMs / 1000).toFixed(3)} s`));
    expect(await page.$eval('#vad-stats', (e) => e.textContent)).toMatch(/real-time factor \d+\.\d+/);
    expect(errors).toEqual([]);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`demo VAD page: screenshot in ${screenshot}`);
    await page.close();
  }, 300 * seconds);

  test('a file that is not a 16-bit PCM WAV: the page says what is wrong', async () => {
    const { page, errors } = await openVad();
    const bad = join(dir, 'float.wav');
    const bytes = writeWav(new Float32Array(100), 16000);
    new DataView(bytes.buffer).setUint16(20, 3, true); // IEEE float
    new DataView(bytes.buffer).setUint16(34, 32, true);
    writeFileSync(bad, bytes);
    await ((await page.$('#vad-file')) as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(bad);
    await page.waitForFunction(() => window.__vad.errors.length > 0, { timeout: 30 * seconds, polling: 100 });
    const got = await page.evaluate(() => window.__vad);
    expect(got.errors).toEqual([expect.stringMatching(/^Cannot analyse float\.wav: float\.wav: 32-bit IEEE float samples; only 16-bit PCM is read here: convert it/)]);
    expect(await page.$eval('#vad-status', (e) => e.className)).toContain('error');
    expect(errors, 'no uncaught errors').toEqual([]);
    await page.close();
  }, 60 * seconds);

  test('the (fake) microphone: frames analysed as they arrive, a timeline drawn', async () => {
    const { page, errors } = await openVad();
    await page.click('#vad-mic');
    await page.waitForFunction(() => window.__vad.listening || window.__vad.errors.length > 0, { timeout: 60 * seconds, polling: 100 });
    await page.waitForFunction(() => window.__vad.probs.length >= 20 || window.__vad.errors.length > 0, { timeout: 120 * seconds, polling: 250 });
    await page.click('#vad-mic');
    await page.waitForFunction(() => window.__vad.done || window.__vad.errors.length > 0, { timeout: 120 * seconds, polling: 250 });
    const got = await page.evaluate(() => window.__vad);
    console.log(`demo VAD page, fake microphone: ${got.probs.length} frames, real-time factor ${got.rtf.toFixed(3)}, probabilities ${Math.min(...got.probs).toFixed(3)}–${Math.max(...got.probs).toFixed(3)}, ${got.segments.length} segment(s)`);
    expect(got.errors).toEqual([]);
    expect(got.source).toBe('microphone');
    expect(got.probs.length).toBeGreaterThanOrEqual(20);
    expect(got.probs.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect((await canvasPixels(page)).blue, 'the probability line').toBeGreaterThan(100);
    expect(errors).toEqual([]);
    await page.close();
  }, 300 * seconds);
});
