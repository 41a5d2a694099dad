// The TSDoc examples of the public API compile: each `@example` block is type-checked (strict) as a
// user's program importing 'webrnn', 'webrnn/interop' and 'webrnn/node' (test/helpers/tsdoc-examples.ts).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkExamples, examplesOf } from './helpers/tsdoc-examples.js';

const root = join(import.meta.dirname, '..');
// The folders under src/ whose examples are checked: all of them and the top-level src/*.ts files
// ('.'); TSDOC_FOLDERS=a,b checks only those.
const FOLDERS = process.env.TSDOC_FOLDERS?.split(',') ?? ['.'];

test('the TSDoc examples compile', () => {
  const files = FOLDERS.flatMap((d) => readdirSync(join(root, 'src', d), { recursive: true }).filter((f) => String(f).endsWith('.ts')).map((f) => join(root, 'src', d, String(f))));
  const examples = files.flatMap(examplesOf);
  const { checked, messages } = checkExamples(root, examples);
  console.log(`${checked} of ${examples.length} examples (those of public names) in ${files.length} files; ${messages.length} diagnostics`);
  expect(checked).toBeGreaterThan(0);
  expect(messages).toEqual([]);
}, 120_000);
