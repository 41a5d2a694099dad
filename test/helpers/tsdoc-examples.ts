// Extracts the TSDoc `@example` blocks of source files and type-checks each one as a user's program
// would compile it: imports of every public name of 'webrnn', 'webrnn/interop', 'webrnn/node' and
// 'webrnn/tasks', a few declared inputs (the free names examples take as given: an engine, tensors,
// layers), and the example's code inside an async function (so it may await and may redeclare those names).
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface TsdocExample {
  file: string;
  /** 1-based line of the `@example` tag. */
  line: number;
  code: string;
  /** The top-level name the comment documents (a class's members: the class), when it is a declaration. */
  owner: string | undefined;
  /** The comment is marked `@internal`. */
  internal: boolean;
}

const DECLARATION = /^export\s+(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:class|function\*?|const|let|interface|type)\s+(\w+)/;

/** Every `@example` block of `file` (the lines after the tag up to the next tag or the comment's end). */
export function examplesOf(file: string): TsdocExample[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: TsdocExample[] = [];
  let owner: string | undefined;
  const ownerAt: (string | undefined)[] = [];
  // The top-level declaration each line belongs to (a member's comment belongs to its class).
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = DECLARATION.exec(lines[i]);
    ownerAt[i] = m ? m[1] : undefined;
  }
  for (let i = 0; i < lines.length; i++) {
    if (/^export\s+(?:abstract\s+)?class\s+(\w+)/.test(lines[i])) owner = /class\s+(\w+)/.exec(lines[i])![1];
    else if (/^}/.test(lines[i])) owner = undefined;
    const m = /^\s*\* @example\b ?(.*)$/.exec(lines[i]);
    if (!m) continue;
    const body: string[] = m[1] ? [m[1]] : [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j];
      if (/^\s*\*\//.test(l) || /^\s*\* @/.test(l)) break;
      body.push(l.replace(/^\s*\* ?/, ''));
    }
    let start = i;
    while (start > 0 && !/^\s*\/\*\*/.test(lines[start])) start--;
    let end = j;
    while (end < lines.length && !/\*\//.test(lines[end])) end++;
    const internal = lines.slice(start, end + 1).some((l) => /@internal\b/.test(l));
    const declared = ownerAt[end + 1] ?? (/^\s/.test(lines[end + 1] ?? '') ? owner : /^(?:function|const|class|let)\b/.test(lines[end + 1] ?? '') ? '' : undefined);
    out.push({ file, line: i + 1, code: body.join('\n'), owner: declared || undefined, internal });
  }
  return out;
}

/** Names the examples use without defining them, with the types they stand for. */
export const GIVEN = `
declare const engine: Engine;
/** x: a batch of sequences (T, B, I); dy: a gradient of the loss with respect to a layer's output. */
declare const x: Tensor, h: Tensor, dy: Tensor;
declare const lstm: Recurrent, gru: Recurrent;
declare const head: Dense;
declare const emb: Embedding;
declare const model: SequenceModel;
/** An attention decoder and its encoder's output, as in AttentionDecoder's example. */
declare const dec: AttentionDecoder, annotations: Tensor;
declare const opt: Optimizer;
/** Training text. */
declare const text: string;
/** A vocabulary of that text, e.g. Vocab.fromText(text, { level: 'word' }). */
declare const vocab: Vocab;
/** Word vectors, e.g. WordVectors.parse of a GloVe text file. */
declare const wv: WordVectors;
`;

/**
 * Type-checks `examples` (strict, as the package's consumers compile) against the entry points'
 * sources in `root`; returns one message per diagnostic, located at the example's file and line.
 */
export function checkExamples(root: string, all: readonly TsdocExample[]): { checked: number; messages: string[] } {
  const entries = { webrnn: 'src/index.ts', 'webrnn/interop': 'src/interop/index.ts', 'webrnn/node': 'src/node.ts', 'webrnn/tasks': 'src/tasks/index.ts' };
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['@webgpu/types', 'node'], skipLibCheck: true, baseUrl: root,
    paths: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v]])),
  };
  // The prelude imports every public name of each entry (read from the entry's exports).
  const probe = ts.createProgram(Object.values(entries).map((e) => join(root, e)), options);
  const checker = probe.getTypeChecker();
  const seen = new Set<string>();
  const imports = Object.entries(entries).map(([spec, file]) => {
    const sf = probe.getSourceFile(join(root, file))!;
    // a name two entries export (a type webrnn/node and webrnn/tasks share) is imported once
    const names = checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!).map((s) => s.name).filter((n) => n !== 'default' && !seen.has(n));
    for (const n of names) seen.add(n);
    return `import { ${names.join(', ')} } from '${spec}';`;
  });
  const publicNames = new Set(imports.flatMap((l) => /\{ (.*) \}/.exec(l)![1].split(', ')));
  // Only what a user can reach: examples of public names, not of internal helpers.
  const examples = all.filter((e) => !e.internal && e.owner !== undefined && publicNames.has(e.owner));
  // Node examples read and write files with node:fs, as users do.
  const prelude = `${imports.join('\n')}\nimport { readFileSync, writeFileSync } from 'node:fs';\n${GIVEN}\n`;
  const files = new Map<string, string>();
  // An example's own import lines: those of the entry points are the prelude's already; others go
  // to the top of the file (a line stays in place so diagnostics keep their line numbers).
  const split = (code: string) => {
    const top: string[] = [];
    const body = code.split('\n').map((l) => {
      if (!/^import\s/.test(l)) return l;
      if (!/from\s+['"]webrnn(\/[a-z]+)?['"]/.test(l)) top.push(l);
      return '';
    });
    return { top: top.join(' '), body: body.join('\n') };
  };
  examples.forEach((e, k) => {
    const { top, body } = split(e.code);
    files.set(join(root, `__tsdoc_example_${k}.mts`), `${prelude.replace(/\n$/, ` ${top}\n`)}export async function example${k}() {\n${body}\n}\n`);
  });
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => files.get(f) ?? read(f);
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => files.has(f) || exists(f);
  const program = ts.createProgram([...files.keys()], options, host);
  const preludeLines = prelude.split('\n').length;
  const messages: string[] = [];
  for (const f of files.keys()) {
    const k = Number(/_(\d+)\.mts$/.exec(f)![1]);
    const e = examples[k];
    for (const d of ts.getPreEmitDiagnostics(program, program.getSourceFile(f))) {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line - preludeLines + 1 : 0;
      messages.push(`${relative(root, e.file)}:${e.line} (example line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return { checked: examples.length, messages };
}
