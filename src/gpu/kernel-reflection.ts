// The shapes of what scripts/gen-shaders.mjs reflects from each kernel at build time (with
// wgsl_reflect) into shader-sources.gen.ts; src/gpu/kernel.ts reads them, so nothing parses WGSL at
// run time.

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

/** One kernel: its final WGSL (includes resolved, comments stripped) and its reflected layout. */
export interface ReflectedKernel {
  readonly workgroupSize: readonly [number, number, number];
  /** In the order wgsl_reflect lists the entry point's resources. */
  readonly bindings: readonly BindingInfo[];
  /** Every uniform struct variable: byte size (rounded up to 16) and [member, byte offset, type]. */
  readonly uniforms: Readonly<Record<string, { readonly size: number; readonly members: readonly (readonly [string, number, UniformScalar])[] }>>;
  readonly code: string;
  /**
   * The code for a device with the `subgroups` feature (`enable subgroups;`, shared snippets' subgroups
   * twins in place), for kernels that include a snippet with such a twin (scripts/gen-shaders.mjs).
   */
  readonly codeSubgroups?: string;
}
