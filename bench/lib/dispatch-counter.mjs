// Counts compute dispatches of every engine the same way: by wrapping
// GPUComputePassEncoder.prototype.dispatchWorkgroups (and the indirect form) of this host's WebGPU.
// Works for Dawn in Node (after its globals are installed) and in browsers; webrnn's own count
// (Recurrent.dispatchCounts) is recorded beside it as a cross-check.

let count = 0;
let installed = false;

/** Installs the counter once; returns false when this host exposes no GPUComputePassEncoder class. */
export function installDispatchCounter() {
  if (installed) return true;
  const P = /** @type {any} */ (globalThis).GPUComputePassEncoder?.prototype;
  if (!P || typeof P.dispatchWorkgroups !== 'function') return false;
  for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) {
    const orig = P[name];
    if (typeof orig !== 'function') continue;
    P[name] = function (/** @type {any[]} */ ...args) {
      count++;
      return orig.apply(this, args);
    };
  }
  installed = true;
  return true;
}

/** Dispatches recorded so far in this host. */
export const dispatchesSoFar = () => count;
