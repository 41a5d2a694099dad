// The GPU cases every host runner executes (Deno and Chromium bundles, and the Node count in
// test/hosts.test.ts), and how they get an engine.
export { runGpuCases, type CaseResult } from '../gpu/cases.js';
export { createEngine } from '../../src/index.js';
