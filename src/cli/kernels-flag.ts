import { WebRnnError } from '../errors.js';
import { parseKernelVariants, PRECISIONS, type KernelVariants, type Precision } from '../gpu/kernel-variants.js';
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

/** `--precision f32|f16-weights` of `webrnn run` / `webrnn fit` (the recurrent layer's weights), checked before any GPU work. */
export function precisionFlag(command: string, text: string | undefined): Precision | undefined {
  if (text === undefined) return undefined;
  if (!PRECISIONS.includes(text as Precision)) throw new UsageError(`${command}: --precision must be ${PRECISIONS.join(' or ')}, got "${text}"`);
  return text as Precision;
}
