// Shared by the host runners: the shape of a run's result and the checks on a HostReport.

/**
 * @typedef {{ name: string, pass: boolean, detail: string }} CaseResult
 * @typedef {{ host: 'deno' | 'browser', adapter: string, cases: CaseResult[], ms: number, error?: string }} HostReport
 * @typedef {{ report: HostReport, logs: string[], bundleMs: number, totalMs: number }} HostRun
 *   report: what the page or process reported; logs: its console output and errors, in order;
 *   bundleMs: esbuild time; totalMs: bundling + host start + cases + shutdown.
 */

/**
 * Parses and checks the shape of a report a host sent back.
 * @param {unknown} value
 * @returns {HostReport}
 */
export function asHostReport(value) {
  const r = /** @type {HostReport} */ (value);
  if (!r || typeof r !== 'object' || !Array.isArray(r.cases)) throw new Error(`not a host report: ${JSON.stringify(value)?.slice(0, 500)}`);
  return r;
}

/**
 * Environment for child processes: XDG_RUNTIME_DIR set (silences the Vulkan loader's warnings).
 * @returns {NodeJS.ProcessEnv}
 */
export function hostEnv() {
  return { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp' };
}
