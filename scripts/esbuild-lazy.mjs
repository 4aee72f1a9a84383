// An esbuild plugin shared by the bundlers (bundle-cli.mjs, bundle-programs.mjs): modules matched by
// `pattern` stay out of the bundle and are require()d from node_modules the first time one of their
// properties is read, instead of being parsed at every start. Used for dockerode's optional
// transports (ssh2, gRPC: never needed on a unix socket) and for parts of oclif no command reaches.
export function lazyModules(pattern) {
  return {
    name: 'lazy-modules',
    setup(b) {
      // The stub's own require() of the module must reach node_modules, not the stub again (it did:
      // every property read recursed until the stack overflowed, in a terminal and over ssh).
      b.onResolve({ filter: pattern }, (a) => (a.namespace === 'lazy' ? { path: a.path, external: true } : { path: a.path, namespace: 'lazy' }));
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
}

// Loaded on first use from node_modules instead of parsed at every start of the CLI (--cpu-prof
// showed the compile of the main bundle as the largest single cost of a start): dockerode's optional
// transports (ssh2, gRPC), and parts of oclif no dockside command reaches on its way (the spinner's
// frames, and the globbing behind the "pattern" command strategy and plugin lists: this CLI lists its
// commands explicitly and has no plugins). test/integration/bundle.integration.test.ts loads each.
export const CLI_LAZY = ['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'cli-spinners', 'minimatch', 'tinyglobby'];
// In the sidecars' programs: dockerode's optional transports (ssh, gRPC sessions), never used there.
export const PROGRAM_LAZY = ['ssh2', 'cpu-features', '@grpc/grpc-js', '@grpc/proto-loader'];
/** A pattern that matches exactly these module names. */
export function namesPattern(names) {
  return new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
}
