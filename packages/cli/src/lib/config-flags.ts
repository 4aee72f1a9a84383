/** Flags and helpers shared by the `dockside config` commands that change a file. */
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import type { ConfigContext } from '@dockside/config';
import type { Engine } from '@dockside/engine';
import { durationFlag } from './flags.js';
import { imageRef } from './images-catalog.js';

export const configArgs = {
  container: Args.string({ description: 'The app container: name, full id or unique id prefix.', required: true }),
  path: Args.string({ description: 'The file as the app sees it (/etc/nginx/nginx.conf), or a name declared by a dockside.config.<name>.path label.', required: true }),
};

export const inLayerFlag = Flags.boolean({
  description: "Allow a file in the image's layer (not in a volume): copied through the engine's archive API, lost when the container is recreated, no history kept.",
  default: false,
  env: 'DOCKSIDE_CONFIG_IN_LAYER',
});

export const changeFlags = {
  validate: Flags.string({
    description:
      "Command run in the app itself (exec, no shell) before anything changes; {} is the staged copy's path, e.g. 'nginx -t -c {}'; '' turns a labelled one off. Label: dockside.config.<name>.validate.",
    env: 'DOCKSIDE_CONFIG_VALIDATE',
  }),
  reload: Flags.string({
    description: 'After the rename: a signal to the app (HUP, USR1, ...), restart, or none (default none). Label: dockside.config.<name>.reload.',
    env: 'DOCKSIDE_CONFIG_RELOAD',
  }),
  check: Flags.string({
    description:
      "Health after the reload, from inside the app's network namespace: http:[PORT]/path, tcp:PORT or exec:CMD. Default: the container's own HEALTHCHECK, if it has one; none for no check. Unhealthy: the previous file is put back. Label: dockside.config.<name>.check.",
    env: 'DOCKSIDE_CONFIG_CHECK',
  }),
  deadline: durationFlag({ description: 'How long the app has to pass --check after the reload.', default: '15s', min: 1000, max: 600_000, env: 'DOCKSIDE_CONFIG_DEADLINE' }),
  yes: Flags.boolean({ char: 'y', description: 'Apply without asking (the diff is still printed).', default: false, env: 'DOCKSIDE_CONFIG_YES' }),
};

/** The options every changing command passes to applyConfig (all but --in-layer). */
export function changeOptions(
  args: { container: string; path: string },
  flags: { validate?: string | undefined; reload?: string | undefined; check?: string | undefined; deadline: number; yes: boolean },
) {
  return {
    container: args.container,
    ref: args.path,
    ...(flags.validate !== undefined ? { validate: flags.validate } : {}),
    ...(flags.reload !== undefined ? { reload: flags.reload } : {}),
    ...(flags.check !== undefined ? { check: flags.check } : {}),
    deadlineMs: flags.deadline,
    yes: flags.yes,
    confirm: () => confirmOnTerminal('Apply this change?'),
    out: process.stdout,
  };
}

export function configContext(engine: Engine, version: string, session: string): ConfigContext {
  return { engine, image: imageRef('config', version), version, session, say: (line) => process.stderr.write(`${line}\n`) };
}

/** Ask on the terminal (not stdin: it may hold the new file); without one, --yes is needed. */
export async function confirmOnTerminal(question: string): Promise<boolean> {
  const { createReadStream, createWriteStream } = await import('node:fs');
  const { UsageError } = await import('@dockside/common');
  let input: NodeJS.ReadableStream;
  let output: NodeJS.WritableStream;
  try {
    const { openSync } = await import('node:fs');
    const fd = openSync('/dev/tty', 'r+');
    input = createReadStream('', { fd, autoClose: false });
    output = createWriteStream('', { fd, autoClose: false });
  } catch {
    throw new UsageError('no terminal to ask on whether to apply this change', { hint: 'add --yes (DOCKSIDE_CONFIG_YES=1) to apply without asking' });
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input, output });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
    (input as unknown as { destroy(): void }).destroy();
  }
}

/** The new bytes from --from FILE, or stdin for "-". */
export async function readSource(from: string): Promise<{ content: Buffer; label: string }> {
  const { UsageError } = await import('@dockside/common');
  if (from === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return { content: Buffer.concat(chunks), label: '(stdin)' };
  }
  const { readFile } = await import('node:fs/promises');
  try {
    return { content: await readFile(from), label: from };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${from}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err))}`, {
      hint: 'give the new file with --from FILE, or --from - for stdin',
    });
  }
}
