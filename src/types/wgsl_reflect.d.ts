// wgsl_reflect's ESM build has no .d.ts of its own; its types are the package's main types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
