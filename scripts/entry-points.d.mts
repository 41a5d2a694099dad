// Types of scripts/entry-points.mjs, for the TypeScript configs that import it (vitest, the demo's vite config).
export declare const root: string;
export interface EntryPoint { name: string; dist: string; types: string; source: string }
export declare function entryPoints(): EntryPoint[];
export declare function sourceAliases(): Record<string, string>;
