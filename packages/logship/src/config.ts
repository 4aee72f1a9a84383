/**
 * What a shipper is told to do (the CLI validates it, the sidecar reads it from a file copied in
 * before start, so credentials in a sink URL never show in argv or `docker inspect`).
 */
import { readFile } from 'node:fs/promises';
import { UsageError, parseSize } from '@dockside/common';
import { parseSinkUrl, type SinkConfig } from './sinks/url.js';
import { checkGlob } from './sources/glob.js';

export interface Selection {
  /** Container names or ids (prefixes of ids allowed). */
  containers: string[];
  all: boolean;
  /** `key=value` or `key`. */
  labels: string[];
}

export interface ShipConfig {
  name: string;
  sink: SinkConfig;
  selection: Selection;
  maxLine: number;
  /** Regular expression source: a line matching it starts a new record (multi-line grouping). */
  multilineStart?: string;
  /** Globs of log files in the target's volumes (--files; one named target, joined read-only). */
  files: string[];
  /** The target whose volumes the files are in (set by the service). */
  filesTarget?: { id: string; name: string; volumes: string[] };
  metricsPort?: number;
  /** Where positions live inside the sidecar. */
  stateDir: string;
  /**
   * This shipper's INSTANCE_LABEL (set by the service): it waits, before taking the checkpoint,
   * until no other running shipper of its name is left (the one it replaces, stopped once this one
   * found its destination reachable).
   */
  instance?: string;
}

export const MULTILINE_PRESETS: Record<string, string> = {
  // A Java record starts with anything but whitespace-led "at ..."/"... N more"/"Caused by:".
  java: '^(?![\\t ]+(at |\\.\\.\\.)|Caused by:)',
  // Python: "Traceback ..." starts a record; its indented lines and its final "XError: ..." join it.
  python: '^(?![\\t ]|[A-Za-z_.]*(Error|Exception)\\b)',
  // Go: "goroutine N [...]" blocks and their indented frames follow a "panic:" line.
  go: '^(?![\\t ]|goroutine \\d+|$|\\[signal |created by )',
};

export function resolveMultiline(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const src = MULTILINE_PRESETS[value] ?? value;
  try {
    new RegExp(src);
  } catch (err) {
    throw new UsageError(`--multiline-start is not a valid regular expression: ${(err as Error).message}`, {
      hint: `give a JavaScript regular expression or a preset: ${Object.keys(MULTILINE_PRESETS).join(', ')}`,
    });
  }
  return src;
}

/** Shortest and longest --max-line. */
export const MAX_LINE_RANGE = { min: 1024, max: 64 * 1024 * 1024 };

/** --max-line as bytes, within MAX_LINE_RANGE. */
export function parseMaxLine(value: string): number {
  const n = parseSize(value);
  if (n < MAX_LINE_RANGE.min || n > MAX_LINE_RANGE.max) {
    throw new UsageError(`--max-line must be between 1KiB and 64MiB (got ${value})`, {
      hint: 'lines longer than this are cut there and marked "truncated"; e.g. --max-line 256KiB (the default is 1MiB)',
    });
  }
  return n;
}

/** The PEM in --tls-ca, for a syslog+tls destination only. */
export async function readTlsCa(path: string, sink: SinkConfig): Promise<string> {
  if (sink.kind !== 'syslog' || sink.transport !== 'tls')
    throw new UsageError('--tls-ca goes with a syslog+tls:// destination', { hint: 'drop --tls-ca, or ship to syslog+tls://host:port' });
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err));
    throw new UsageError(`cannot read --tls-ca ${path}: ${why}`, {
      hint: "give the PEM file of the CA that signed the receiver's certificate (the system CAs are used without --tls-ca; ?insecure=1 skips the check)",
    });
  }
}

export function validateShipConfig(input: Omit<ShipConfig, 'sink' | 'stateDir'> & { to: string }): ShipConfig {
  const sink = parseSinkUrl(input.to);
  const sel = input.selection;
  if (!sel.all && sel.containers.length === 0 && sel.labels.length === 0) {
    throw new UsageError('nothing to ship: name containers, or give --all or --label', { hint: 'e.g. `dockside logs ship web --to file:///var/log/shipped`' });
  }
  if (sel.all && sel.containers.length) throw new UsageError('give either container names or --all, not both');
  if (input.files.length && sel.containers.length !== 1) {
    throw new UsageError('--files needs exactly one named container (the shipper joins its volumes)', {
      hint: "e.g. `dockside logs ship web --files '/var/log/app/*.log' --to ...`; run one shipper (--name) per container",
    });
  }
  for (const g of input.files) checkGlob(g);
  for (const l of sel.labels) {
    if (!/^[^=\s]+(=.*)?$/.test(l))
      throw new UsageError(`--label must be key or key=value (got "${l}")`, {
        hint: 'the key comes first and holds no space, e.g. --label com.docker.compose.project=shop or --label tier',
      });
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}$/.test(input.name)) {
    throw new UsageError(`--name must be 1 to 41 letters, digits, _ . -, starting with a letter or digit (got "${input.name}")`, {
      hint: 'e.g. --name shop; it names the shipper container and its volume dockside-logship-<name>',
    });
  }
  const { to: _to, ...rest } = input;
  const multiline = resolveMultiline(input.multilineStart);
  const cfg: ShipConfig = { ...rest, sink, stateDir: '/state' };
  if (multiline) cfg.multilineStart = multiline;
  else delete cfg.multilineStart;
  return cfg;
}
