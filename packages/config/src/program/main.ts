/**
 * Entry point of the config sidecar image (bundled to images/config/build/config.mjs).
 *   (every file command takes --root M: the mount the path is in; the path may not leave it)
 *   read <path>                                  the file's bytes on stdout, its metadata as the result
 *   stage <path> [--version N]                   a copy beside it with stdin's bytes (or version N's)
 *   commit <path> --staged S --expect SHA256     keep the current file in the history, rename S over it
 *   discard <staged>                             remove a staged copy
 *   history <path>                               the kept versions
 *   check --http PORT PATH | --tcp PORT ...      a health probe in the target's network namespace
 * plus `version` and `probe` from sidecar-kit. The file commands run with --volumes-from the target
 * and no network; see files.ts.
 */
import { ROLE, UsageError } from '@dockside/common';
import { EventWriter, runProgram } from '@dockside/sidecar-kit';
import { check } from './check.js';
import { commit, confine, discard, historyFile, listHistory, readRegular, stage } from './files.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';
const events = new EventWriter();

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The file argument, resolved and confined to the mount `--root` names (see confine). */
async function pathArg(args: string[]): Promise<string> {
  const p = args[0];
  if (!p || !p.startsWith('/')) throw new UsageError('give the absolute path of the file');
  const root = option(args, '--root');
  if (!root) throw new UsageError('file commands need --root (the mount the file is in)');
  return confine(p, root);
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

await runProgram({
  role: ROLE.config,
  version,
  defaultCommand: 'probe',
  commands: {
    read: async (args) => {
      const { info, content } = await readRegular(await pathArg(args));
      await new Promise<void>((resolve, reject) => process.stdout.write(content, (err) => (err ? reject(err) : resolve())));
      events.result(info);
    },
    stage: async (args) => {
      const path = await pathArg(args);
      const n = option(args, '--version');
      const r = n ? await stage(path, await historyFile(path, Number(n)), undefined) : await stage(path, path, await readStdin());
      events.result(r);
    },
    commit: async (args) => {
      const staged = option(args, '--staged');
      const expect = option(args, '--expect');
      if (!staged || !expect) throw new UsageError('commit needs --staged and --expect');
      events.result(await commit(await pathArg(args), staged, expect));
    },
    discard: async (args) => {
      await discard(await pathArg(args));
      events.result({});
    },
    history: async (args) => {
      const path = await pathArg(args);
      const { info } = await readRegular(path);
      events.result({ current: info, versions: await listHistory(path) });
    },
    check,
  },
});
