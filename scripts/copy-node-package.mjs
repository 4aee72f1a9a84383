// Copies an npm package that cannot be bundled (a prebuilt N-API addon loaded with createRequire,
// such as sodium-native) and the packages it requires at run time from the workspace's
// node_modules into <outdir>/node_modules, next to a sidecar's bundle: only the linux-x64 prebuild,
// no tests. Used by the images' prepare-image scripts (packages/<role>/scripts/prepare-image.mjs).
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function copyNodePackage(root, outdir, name, seen = new Set()) {
  if (seen.has(name)) return;
  seen.add(name);
  const from = join(root, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  const to = join(outdir, 'node_modules', name);
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(from.length);
      return !/^\/prebuilds\/(?!linux-x64)/.test(rel) && !/^\/(test|node_modules)(\/|$)/.test(rel);
    },
  });
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (existsSync(join(root, 'node_modules', dep))) copyNodePackage(root, outdir, dep, seen);
}
