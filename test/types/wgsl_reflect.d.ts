// The shader build (scripts/gen-shaders.mjs) and test/shader-build.test.ts import wgsl_reflect's ES
// module file by path, which has no declarations of its own; it is the same code as the package's
// main entry, whose declarations these are.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
