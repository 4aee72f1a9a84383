/**
 * What a config change does around the write: how to validate it, reload the app and check its
 * health. Parsed once from flags or from the target's labels (`dockside.config.<name>.path`,
 * `.validate`, `.reload`, `.check`), flags winning. Pure logic.
 */
import { parseSignal, splitShellWords, UsageError } from '@dockside/common';

export type Reload = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'restart' } | { kind: 'none' };

export type Check =
  | { kind: 'http'; port: number; path: string }
  | { kind: 'tcp'; port: number }
  | { kind: 'exec'; cmd: string[] }
  /** The container's own HEALTHCHECK test, run through exec. */
  | { kind: 'healthcheck'; cmd: string[] };

export interface ConfigSpec {
  path: string;
  /** Validator command line with `{}` for the staged copy, as the user wrote it. */
  validate?: string;
  reload: Reload;
  check?: Check;
  /** `--check none`: no check at all, not even the container's HEALTHCHECK. */
  noCheck?: true;
}

/** `HUP`, `SIGHUP`, `usr1`, `restart`, `none`. */
export function parseReload(text: string): Reload {
  const t = text.trim();
  if (/^restart$/i.test(t)) return { kind: 'restart' };
  if (/^none$/i.test(t)) return { kind: 'none' };
  return { kind: 'signal', signal: parseSignal(t, '--reload', 'give a signal name (HUP, USR1, USR2, ...), restart or none') };
}

export function reloadText(r: Reload): string {
  return r.kind === 'signal' ? r.signal.replace(/^SIG/, '') : r.kind;
}

/** `http:/health` (port 80), `http:8080/health`, `tcp:5432`, `exec:pg_isready -q`. */
export function parseCheck(text: string): Check {
  const m = /^(http|tcp|exec):(.*)$/s.exec(text.trim());
  const bad = () =>
    new UsageError(`--check: cannot read "${text}"`, { hint: 'give http:[PORT]/path, tcp:PORT or exec:CMD (e.g. http:8080/health, tcp:5432, exec:"pg_isready -q")' });
  if (!m) throw bad();
  const [, kind, rest = ''] = m;
  if (kind === 'http') {
    const h = /^(?:\/\/(?:localhost|127\.0\.0\.1)?)?:?(\d+)?(\/.*)?$/.exec(rest);
    if (!h || (!h[1] && !h[2])) throw bad();
    return { kind: 'http', port: port(h[1] ?? '80', text), path: h[2] ?? '/' };
  }
  if (kind === 'tcp') return { kind: 'tcp', port: port(rest, text) };
  const cmd = splitShellWords(rest);
  if (!cmd.length) throw bad();
  return { kind: 'exec', cmd };
}

function port(s: string, text: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(`--check: "${s}" in "${text}" is not a port (1-65535)`);
  return n;
}

/** The container's HEALTHCHECK test as an exec command (CMD-SHELL runs through the image's /bin/sh, as the engine does). */
export function healthcheckCommand(test: string[]): Check | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length) return { kind: 'healthcheck', cmd: rest };
  if (kind === 'CMD-SHELL' && rest[0]) return { kind: 'healthcheck', cmd: ['/bin/sh', '-c', rest[0]] };
  return undefined;
}

export function checkText(c: Check): string {
  if (c.kind === 'http') return `http:${c.port}${c.path}`;
  if (c.kind === 'tcp') return `tcp:${c.port}`;
  return `${c.kind === 'exec' ? 'exec' : 'HEALTHCHECK'}:${c.cmd.join(' ')}`;
}

/** The validator's argv: the command line split as a shell splits words (no shell runs it), `{}` replaced. */
export function validatorArgv(validate: string, staged: string): string[] {
  const argv = splitShellWords(validate).map((w) => w.split('{}').join(staged));
  if (!argv.length) throw new UsageError('--validate is empty', { hint: "give the app's own check, e.g. --validate 'nginx -t -c {}'" });
  return argv;
}

export const LABEL_PREFIX = 'dockside.config.';

/** The names declared by `dockside.config.<name>.path` labels, with their labelled settings. */
export function labelledConfigs(labels: Record<string, string>): Map<string, { path: string; validate?: string; reload?: string; check?: string }> {
  const out = new Map<string, { path: string; validate?: string; reload?: string; check?: string }>();
  for (const [k, v] of Object.entries(labels)) {
    const m = /^dockside\.config\.(.+)\.path$/.exec(k);
    if (!m) continue;
    const name = m[1] as string;
    const get = (key: string) => labels[`${LABEL_PREFIX}${name}.${key}`];
    const validate = get('validate');
    const reload = get('reload');
    const check = get('check');
    out.set(name, { path: v, ...(validate ? { validate } : {}), ...(reload ? { reload } : {}), ...(check ? { check } : {}) });
  }
  return out;
}

export interface SpecFlags {
  validate?: string;
  reload?: string;
  check?: string;
}

/**
 * The spec for `<path|name>` on a container: a path (starting with /) as given, or a name declared
 * by its labels; flags override labels. No reload unless asked (flag or label).
 */
export function resolveSpec(ref: string, labels: Record<string, string>, flags: SpecFlags, containerName: string): ConfigSpec & { name?: string } {
  const declared = labelledConfigs(labels);
  let path = ref;
  let fromLabels: { validate?: string; reload?: string; check?: string } = {};
  let name: string | undefined;
  if (!ref.startsWith('/')) {
    const hit = declared.get(ref);
    if (!hit) {
      const known = [...declared.keys()].sort();
      throw new UsageError(`"${ref}" is neither an absolute path nor a config name declared on container "${containerName}"`, {
        hint: known.length
          ? `declared names: ${known.join(', ')}; or give the file's path, e.g. /etc/nginx/nginx.conf`
          : `give the file's path as the app sees it (e.g. /etc/nginx/nginx.conf), or declare one with the label ${LABEL_PREFIX}<name>.path`,
      });
    }
    name = ref;
    path = hit.path;
    fromLabels = hit;
  } else {
    for (const [n, d] of declared) if (d.path === ref) ((name = n), (fromLabels = d));
  }
  if (!path.startsWith('/') || path.endsWith('/') || path.split('/').some((p) => p === '..' || p === '.')) {
    throw new UsageError(`"${path}" is not an absolute path to a file`, { hint: 'give the path as the app sees it, e.g. /etc/nginx/nginx.conf' });
  }
  const validate = flags.validate ?? fromLabels.validate;
  const reload = flags.reload ?? fromLabels.reload;
  const check = flags.check ?? fromLabels.check;
  return {
    path: path.replace(/\/+/g, '/'),
    ...(name ? { name } : {}),
    ...(validate ? { validate } : {}),
    reload: reload ? parseReload(reload) : { kind: 'none' },
    ...(check && check.trim() !== 'none' ? { check: parseCheck(check) } : {}),
    ...(check?.trim() === 'none' ? { noCheck: true as const } : {}),
  };
}
