/** `--env-file` files in the docker CLI's format: KEY=VALUE lines, `#` comments, bare KEY takes the caller's env. */
import { UsageError } from '@dockside/common';

export function parseEnvFile(text: string, from: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq === -1 ? line.trimEnd() : line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new UsageError(`${from}:${i + 1}: "${key}" is not a valid variable name`);
    }
    if (eq === -1) {
      const v = env[key];
      if (v !== undefined) out[key] = v;
      return;
    }
    out[key] = line.slice(eq + 1);
  });
  return out;
}
