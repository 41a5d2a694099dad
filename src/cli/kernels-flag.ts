import { WebRnnError } from '../errors.js';
import { parseKernelVariants, type KernelVariants } from '../gpu/kernel-variants.js';
import { UsageError } from './usage-error.js';

/** `--kernels name=variant,…` of `webrnn run` / `webrnn fit`, checked before any GPU work (a bad one is a usage error). */
export function kernelsFlag(command: string, text: string | undefined): KernelVariants | undefined {
  if (text === undefined) return undefined;
  try {
    return parseKernelVariants('--kernels', text);
  } catch (e) {
    if (e instanceof WebRnnError) throw new UsageError(`${command}: ${e.message}`);
    throw e;
  }
}
