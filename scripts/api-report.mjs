// The public API report: api-extractor reads each entry point's compiled .d.ts (dist/, from
// `npm run build`) and writes what it exports, with every signature, to api/<entry>.api.md.
//   node scripts/api-report.mjs            check: exit 1 (and show the difference) when the surface
//                                          differs from the committed report
//   node scripts/api-report.mjs --update   rewrite the committed reports (a deliberate API change)
// The entry points come from package.json "exports" (scripts/entry-points.mjs).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { entryPoints, root } from './entry-points.mjs';

const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor');

const update = process.argv.includes('--update');
const temp = mkdtempSync(join(tmpdir(), 'webrnn-api-'));
let failed = 0;
try {
  for (const entry of entryPoints()) {
    const types = join(root, entry.types);
    if (!existsSync(types)) throw new Error(`${entry.types} is missing: run \`npm run build\` first`);
    const reportFileName = `${entry.name.replace('/', '-')}.api.md`;
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: root,
        mainEntryPointFilePath: types,
        compiler: { tsconfigFilePath: join(root, 'tsconfig.json') },
        apiReport: { enabled: true, reportFileName, reportFolder: join(root, 'api'), reportTempFolder: temp },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          // Types that public signatures use without exporting them are listed in the report
          // (marked "// Warning: (ae-forgotten-export)"), so the review sees them too.
          // Release tags (@public/@beta) are not used: everything an entry point exports is public.
          extractorMessageReporting: { default: { logLevel: 'none', addToApiReportFile: true }, 'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false }, 'ae-undocumented': { logLevel: 'none', addToApiReportFile: false } },
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(root, 'api', 'api-extractor.json'),
      packageJsonFullPath: join(root, 'package.json'),
    });
    const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false, messageCallback: (m) => { if (m.logLevel === 'info' || m.logLevel === 'verbose') m.handled = true; } });
    if (result.apiReportChanged && !update) {
      failed++;
      const committed = join(root, 'api', reportFileName);
      const fresh = join(temp, reportFileName);
      process.stderr.write(`api: the public API of ${entry.name} differs from api/${reportFileName}:\n`);
      const a = existsSync(committed) ? readFileSync(committed, 'utf8').split('\n') : [];
      const b = readFileSync(fresh, 'utf8').split('\n');
      for (const l of a) if (!b.includes(l)) process.stderr.write(`- ${l}\n`);
      for (const l of b) if (!a.includes(l)) process.stderr.write(`+ ${l}\n`);
    } else {
      process.stdout.write(`api: ${entry.name} ${update && result.apiReportChanged ? 'report updated' : 'matches'} api/${reportFileName}\n`);
    }
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
if (failed) {
  process.stderr.write('api: if the change is deliberate, run `npm run api:update` and commit api/ with the README updated\n');
  process.exit(1);
}
