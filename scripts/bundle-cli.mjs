#!/usr/bin/env node
// Bundles the CLI for a lean start-up (`dockside --help` is run by people and scripts all day), with a
// V8 code cache for it.
// oclif is told about the commands explicitly (strategy "explicit") so that @oclif/core, every command
// class and their flags load from one file instead of ~150; services and dockerode sit in chunks that a
// command imports only when it runs (and the engine's hot paths do not load dockerode at all). ssh2,
// gRPC and the parts of oclif no command reaches are loaded only if used (LAZY below). Output: packages/cli/dist-bundle/dockside.cjs and its
// code cache dockside.cjs.v8cache.
import { build } from 'esbuild';
import { CLI_LAZY, lazyModules, namesPattern } from './esbuild-lazy.mjs';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'cli');
const commandsDir = join(cli, 'src', 'commands');

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

// Command id from its path, as oclif does it: commands/images/build.ts -> images:build; x/index.ts -> x.
const files = walk(commandsDir).sort();
const entries = files.map((f, i) => {
  const rel = relative(commandsDir, f).replace(/\.ts$/, '').split('/');
  if (rel[rel.length - 1] === 'index') rel.pop();
  return { id: rel.join(':'), name: `C${i}`, file: f };
});
const gen = join(cli, 'dist-bundle', '.entry.ts');
rmSync(join(cli, 'dist-bundle'), { recursive: true, force: true });
mkdirSync(dirname(gen), { recursive: true });
writeFileSync(
  gen,
  [
    "export { execute } from '@oclif/core/execute';",
    // oclif's command_not_found hook (package.json oclif.hooks names this export of the bundle).
    `export { commandNotFound as COMMAND_NOT_FOUND } from ${JSON.stringify(join(cli, 'src', 'lib', 'unknown-command.ts'))};`,
    ...entries.map((e) => `import ${e.name} from ${JSON.stringify(e.file)};`),
    `export const COMMANDS = { ${entries.map((e) => `${JSON.stringify(e.id)}: ${e.name}`).join(', ')} };`,
  ].join('\n'),
);

const lazy = lazyModules(namesPattern(CLI_LAZY));

// A script compiled through vm.Script (bin/run.js, for its code cache) may not call import() on
// Node 20 without --experimental-vm-modules: an import() of a module left outside the bundle (Node's
// own, the AWS SDK) becomes a require() of it, which gives the same named exports for CommonJS.
const requireExternals = {
  name: 'dynamic-import-as-require',
  setup(b) {
    b.onResolve({ filter: /^(node:|@aws-sdk\/|@smithy\/)/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, namespace: 'require-external' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'require-external' }, (a) => ({ loader: 'js', contents: `module.exports = require(${JSON.stringify(a.path)});` }));
  },
};

const result = await build({
  metafile: true,
  entryPoints: { dockside: gen },
  outdir: join(cli, 'dist-bundle'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  // One CommonJS file rather than ESM chunks: Node 20 can start a CommonJS script from a V8 code
  // cache (vm.Script cachedData; there is no such cache for ES modules before Node 22's
  // module.enableCompileCache), and compiling the bundle was the largest single cost of a start.
  // A command's services are still evaluated only when it runs (esbuild wraps lazily imported
  // modules in init functions), and functions that never run are never compiled.
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  // The bundle stands where the ESM chunks stood: import.meta.url is its own file's URL.
  define: { 'import.meta.url': '__dsImportMetaUrl' },
  banner: { js: "const __dsImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Read only when DEBUG=dockside* turns source maps on (bin/run.js), so stack traces name our sources.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [lazy, requireExternals],
  // Native addons and the real optional transports stay in node_modules.
  // typescript: @oclif/core loads it only to run TypeScript sources in development. The AWS SDK is
  // large CommonJS that only backup/restore to S3 need: Node's own loader gives it its named exports.
  external: ['pcap', 'cpu-features', 'sodium-native', 'zstd-napi', ...CLI_LAZY, 'typescript', 'ts-node', '@aws-sdk/*', '@smithy/*'],
});
rmSync(gen);
if (process.env.DOCKSIDE_BUNDLE_REPORT) writeFileSync(process.env.DOCKSIDE_BUNDLE_REPORT, JSON.stringify(result.metafile));
const literalImports = readFileSync(join(cli, 'dist-bundle', 'dockside.cjs'), 'utf8').match(/\bimport\("[^"]*"\)/g);
if (literalImports) throw new Error(`the CLI bundle still calls import() (fails under vm.Script on Node 20): ${literalImports.join(', ')}`);

// The V8 code cache (bin/run.js reads it): written by one real start of the CLI, so that it holds the
// functions a start compiles (oclif's config and command lookup, flag parsing, help), not only the
// top level. A cache made by another Node (V8) version or for another bundle is rejected by V8 and
// the bundle compiles as it would without one.
const made = spawnSync(process.execPath, [join(cli, 'bin', 'run.js'), 'debug', '--help'], {
  env: { ...process.env, DOCKSIDE_WRITE_CODE_CACHE: '1' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (made.status !== 0) throw new Error(`writing the code cache: dockside debug --help exited ${made.status}`);
console.log(`bundled the CLI: ${entries.length} commands`);
