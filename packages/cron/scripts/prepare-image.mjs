#!/usr/bin/env node
// The scheduler runs the backup service, which opens a repository (restic's format) to check its
// password before a backup job starts: sodium-native (Poly1305, a prebuilt N-API addon that is not
// bundled) goes next to the bundle as images/cron/build/node_modules. Called by
// scripts/bundle-programs.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const outdir = process.argv[2] ?? join(root, 'images', 'cron', 'build');
const { copyNodePackage } = await import(join(root, 'scripts', 'copy-node-package.mjs'));
copyNodePackage(root, outdir, 'sodium-native');
