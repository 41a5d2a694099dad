// Every kernel by name, for tests and tools that iterate them all (test/shader-build.test.ts, the
// every-shader-compiles check). Nothing in src/ imports this module at run time: it holds every
// kernel's code, and a page that imported it would carry all of them (test/layering.test.ts checks).
// Code that dispatches a kernel imports its descriptor from shader-sources.gen.ts instead.
import * as all from './shader-sources.gen.js';
import type { KernelName } from './shader-sources.gen.js';
import type { ReflectedKernel } from './kernel-reflection.js';

/** Each kernel's descriptor, by name. */
export const kernels: Readonly<Record<KernelName, ReflectedKernel<KernelName>>> = all;
