#!/usr/bin/env node
// dockside entry point. oclif itself and every command class load from one bundle
// (scripts/bundle-cli.mjs); the manifest answers `--help` without running any command code.
if (/(^|,)\s*dockside/.test(process.env.DEBUG ?? '')) process.setSourceMapsEnabled(true);
const { execute } = await import('../dist-bundle/dockside.mjs');

await execute({ dir: import.meta.url });
