// Build with esbuild (no tsc emit; `npm run typecheck` checks the types).
//   node esbuild.mjs               dist/extension.js (with a source map)
//   node esbuild.mjs --production  dist/extension.js, minified, no source map (what the .vsix ships)
//   node esbuild.mjs --tests       out/test/*.test.js for `node --test out/test/`
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const tests = process.argv.includes('--tests');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
};

if (tests) {
  rmSync('out', { recursive: true, force: true });
  const entryPoints = readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => `test/${f}`);
  await esbuild.build({ ...common, entryPoints, outdir: 'out/test', sourcemap: 'inline', external: ['vscode'] });
} else {
  rmSync('dist', { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
  });
}
