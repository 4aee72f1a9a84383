#!/usr/bin/env node
// Bundles the CLI for a lean start-up (`dockside --help` is run by people and scripts all day).
// oclif is told about the commands explicitly (strategy "explicit") so that @oclif/core, every command
// class and their flags load from one file instead of ~150; services and dockerode sit in chunks that a
// command imports only when it runs (and the engine's hot paths do not load dockerode at all). ssh2,
// gRPC and the parts of oclif no command reaches are loaded only if used (LAZY below). Output: packages/cli/dist-bundle/.
import { build } from 'esbuild';
import { readdirSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
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
    ...entries.map((e) => `import ${e.name} from ${JSON.stringify(e.file)};`),
    `export const COMMANDS = { ${entries.map((e) => `${JSON.stringify(e.id)}: ${e.name}`).join(', ')} };`,
  ].join('\n'),
);

// Loaded on first use from node_modules instead of parsed at every start (--cpu-prof showed the
// compile of the main bundle as the largest single cost of a start): dockerode's optional transports
// (ssh2, gRPC), and parts of oclif no dockside command reaches on its way (the spinner's frames, and
// the globbing behind the "pattern" command strategy and plugin lists: this CLI lists its commands
// explicitly and has no plugins). A module is required the first time one of its properties is read.
const LAZY = /^(ssh2|@grpc\/grpc-js|@grpc\/proto-loader|cli-spinners|minimatch|tinyglobby)$/;
const lazy = {
  name: 'lazy-modules',
  setup(b) {
    b.onResolve({ filter: LAZY }, (a) => ({ path: a.path, namespace: 'lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (a) => ({
      loader: 'js',
      contents:
        a.path === 'ssh2'
          ? `let real; const load = () => (real ??= require(${JSON.stringify(a.path)}));
             class Client { constructor(...args) { return new (load().Client)(...args); } }
             module.exports = new Proxy({ Client }, { get: (t, k) => (k === 'Client' ? Client : load()[k]) });`
          : // __esModule is read by the CommonJS interop helpers as the module is imported: answering
            // it from the real module would load it at once.
            `let real; const load = () => (real ??= require(${JSON.stringify(a.path)}));
             module.exports = new Proxy({}, { get: (_, k) => (k === '__esModule' && !real ? undefined : load()[k]), has: (_, k) => k in load() });`,
    }));
  },
};

const result = await build({
  metafile: true,
  entryPoints: { dockside: gen },
  outdir: join(cli, 'dist-bundle'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  // Read only when DEBUG=dockside* turns source maps on (bin/run.js), so stack traces name our sources.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [lazy],
  // Native addons and the real optional transports stay in node_modules.
  // typescript: @oclif/core loads it only to run TypeScript sources in development. The AWS SDK is
  // large CommonJS that only backup/restore to S3 need: Node's own loader gives it its named exports.
  external: ['pcap', 'cpu-features', 'ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'cli-spinners', 'minimatch', 'tinyglobby', 'typescript', 'ts-node', '@aws-sdk/*', '@smithy/*'],
  banner: { js: "import { createRequire as __dsCreateRequire } from 'node:module'; const require = __dsCreateRequire(import.meta.url);" },
});
rmSync(gen);
if (process.env.DOCKSIDE_BUNDLE_REPORT) writeFileSync(process.env.DOCKSIDE_BUNDLE_REPORT, JSON.stringify(result.metafile));
console.log(`bundled the CLI: ${entries.length} commands`);
