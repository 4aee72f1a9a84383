#!/usr/bin/env node
// dockside entry point. Kept tiny: oclif reads the manifest, so `--help` loads no command code.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
