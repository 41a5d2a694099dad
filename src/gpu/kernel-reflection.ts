// The shapes of what scripts/gen-shaders.mjs reflects from each kernel at build time (with
// wgsl_reflect) into shader-sources.gen.ts (one export per kernel); src/gpu/kernel.ts reads them, so
// nothing parses WGSL at run time.

/** How a binding is declared in WGSL. */
export interface BindingInfo {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  readonly kind: 'uniform' | 'storage' | 'read-only-storage';
  /** A uniform named `step`: bound with a dynamic offset, one 256-byte slot per time step. */
  readonly dynamic: boolean;
  /** WGSL type name of the variable (the uniform whose type is `Params` holds the kernel's parameters). */
  readonly typeName: string;
}

/** A scalar type Kernel.packUniform writes. */
export type UniformScalar = 'u32' | 'i32' | 'f32';

/**
 * One kernel: its final WGSL (includes resolved, comments stripped) and its reflected layout. Each is
 * its own export of shader-sources.gen.ts, named `N`; code that dispatches it imports it (engine.kernel).
 */
export interface ReflectedKernel<N extends string = string> {
  /** shaders/<name>.wgsl, entry point fn <name> (a twin: `<base>_f16`); the engine caches kernels by it. */
  readonly name: N;
  readonly workgroupSize: readonly [number, number, number];
  /** In the order wgsl_reflect lists the entry point's resources. */
  readonly bindings: readonly BindingInfo[];
  /** Every uniform struct variable: byte size (rounded up to 16) and [member, byte offset, type]. */
  readonly uniforms: Readonly<Record<string, { readonly size: number; readonly members: readonly (readonly [string, number, UniformScalar])[] }>>;
  /** The WGSL, for a kernel of its own file; a twin has `derived` instead (kernelCode gives both). */
  readonly code?: string;
  /** An f16 twin (`<base>_f16`): its base kernel's code with these line edits (scripts/gen-shaders.mjs). */
  readonly derived?: { readonly from: ReflectedKernel; readonly edits: LineEdits };
  /**
   * For kernels that include a snippet with a `subgroups` twin: the line edits that make the code for a
   * device with the `subgroups` feature (`enable subgroups;`, the snippets' twins in place).
   */
  readonly subgroupEdits?: LineEdits;
}

/** [line, lines removed, lines inserted there], ascending by line (scripts/gen-shaders.mjs lineEdits). */
export type LineEdits = readonly (readonly [number, number, readonly string[]])[];

/** `code` with line edits applied: how a twin's WGSL is made from the code it derives from. */
export function applyLineEdits(code: string, edits: LineEdits): string {
  const lines = code.split('\n');
  const out: string[] = [];
  let i = 0;
  for (const [at, removed, insert] of edits) {
    out.push(...lines.slice(i, at), ...insert);
    i = at + removed;
  }
  out.push(...lines.slice(i));
  return out.join('\n');
}
