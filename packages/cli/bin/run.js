#!/usr/bin/env -S node --
// The `--` ends Node's own options. Node 20 (20.20 here) looks for `--env-file` anywhere in argv,
// the script's own arguments included, before any of this runs, and ends the process when the file
// is missing: `dockside run web --env-file /missing` died in Node ("node: /missing: not found",
// exit 9) instead of reaching dockside. (It loads the file only when the option is Node's own.)
// That scan stops at the first `--`.
// dockside entry point. oclif itself and every command class load from one CommonJS bundle
// (scripts/bundle-cli.mjs), compiled from its V8 code cache when the cache fits this Node; the
// manifest answers `--help` without running any command code.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const debugOn = /(^|,)\s*dockside/.test(process.env.DEBUG ?? '');
if (debugOn) process.setSourceMapsEnabled(true);

/**
 * Load a CommonJS file as `require` would (oclif requires the same file again for the command list:
 * it gets this module from the require cache), but compiled with `cachedData` when the cache file
 * is there and V8 accepts it.
 */
function loadWithCodeCache(file) {
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* no cache: compile */
  }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData, importModuleDynamically: (s) => import(s) });
  const mod = new Module(file, undefined);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  Module._cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  // Build time (scripts/bundle-cli.mjs): write the cache once this start has compiled what it needed.
  if (process.env.DOCKSIDE_WRITE_CODE_CACHE) process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  return mod.exports;
}

const bundle = fileURLToPath(new URL('../dist-bundle/dockside.cjs', import.meta.url));
// Node maps stack traces through source maps only for files its own loader compiled: with
// DEBUG=dockside* (stack traces shown), load the bundle the ordinary way.
const { execute } = debugOn ? createRequire(import.meta.url)(bundle) : loadWithCodeCache(bundle);
await execute({ dir: import.meta.url });
