/**
 * A small seeded random source for tests and examples: mulberry32 for uniform 32-bit draws,
 * Box–Muller for normals. Deterministic across platforms (integer arithmetic plus Math.log/cos/sqrt).
 *
 * @example
 * const rng = new Rng(42);
 * const w = rng.uniformArray(12, -0.5, 0.5); // Float64Array(12), same every run
 */
export class Rng {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1), 32 random bits (mulberry32). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return mean + std * s;
    }
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** A Float64Array of n uniform draws in [lo, hi). */
  uniformArray(n: number, lo = -1, hi = 1): Float64Array {
    const a = new Float64Array(n);
    for (let k = 0; k < n; k++) a[k] = this.uniform(lo, hi);
    return a;
  }

  /** A Float64Array of n normal draws. */
  normalArray(n: number, mean = 0, std = 1): Float64Array {
    const a = new Float64Array(n);
    for (let k = 0; k < n; k++) a[k] = this.normal(mean, std);
    return a;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, k) => k);
    for (let k = n - 1; k > 0; k--) {
      const j = this.int(0, k);
      [p[k], p[j]] = [p[j]!, p[k]!];
    }
    return p;
  }
}

/** `new Rng(seed)`, for call sites that read better as a function. */
export function mulberry32(seed: number): Rng {
  return new Rng(seed);
}
