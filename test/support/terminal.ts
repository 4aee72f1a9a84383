/**
 * The CLI as a person uses it: in a real pseudo-terminal. Each Terminal is its own tmux server (a
 * socket of its own, no user config) running one command in a window of a given size; tests type
 * into it (send-keys) and read the screen as tmux renders it (capture-pane), so cursor moves,
 * clears and the alternate screen count as they do for a person. Every byte the command writes is
 * also recorded (pipe-pane), for what was drawn and then overwritten, such as a progress line.
 * Debian's tmux; setup.sh installs it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './engine.js';

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Without tmux's own "Pane is dead" line (remain-on-exit) and the blank lines below the text. */
function tidy(screen: string): string {
  return screen.replace(/\n*Pane is dead \([^\n]*\)\s*$/, '').replace(/\n+$/, '');
}

export interface TerminalOptions {
  cols?: number;
  rows?: number;
  env?: NodeJS.ProcessEnv;
}

export class Terminal {
  private constructor(
    private readonly dir: string,
    private readonly socket: string,
  ) {}

  /** `dockside <args>` in a new terminal (cols x rows, default 120 x 40). */
  static dockside(args: string[], opts: TerminalOptions = {}): Terminal {
    return Terminal.shell(`${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')}`, opts);
  }

  /** Any shell command line in a new terminal. */
  static shell(command: string, opts: TerminalOptions = {}): Terminal {
    const dir = mkdtempSync(join(tmpdir(), 'ds-tty-'));
    const t = new Terminal(dir, join(dir, 'tmux.sock'));
    // The command waits until the recording is on, so its first byte is in it.
    // Its exit status is written by the shell around it (tmux's own #{pane_dead_status} is sometimes
    // never filled in). A trap (not an ignore) keeps the shell alive through a Ctrl-C meant for the
    // command, and is reset for the command itself.
    writeFileSync(
      join(dir, 'run.sh'),
      `#!/bin/sh\ncd ${quote(ROOT)}\nwhile [ ! -e ${quote(join(dir, 'go'))} ]; do sleep 0.02; done\ntrap : INT TERM QUIT HUP\n${command}\necho $? > ${quote(join(dir, 'status'))}\n`,
    );
    chmodSync(join(dir, 'run.sh'), 0o755);
    writeFileSync(join(dir, 'tmux.conf'), 'set -g remain-on-exit on\nset -g history-limit 50000\nset -g status off\n');
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, TERM: 'xterm-256color' };
    delete env['TMUX'];
    const r = spawnSync(
      'tmux',
      ['-S', t.socket, '-f', join(dir, 'tmux.conf'), 'new-session', '-d', '-s', 't', '-x', String(opts.cols ?? 120), '-y', String(opts.rows ?? 40), join(dir, 'run.sh')],
      { env, encoding: 'utf8' },
    );
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('the terminal tests need tmux; run `bash scripts/setup.sh` (it installs it)');
    if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr.trim()}`);
    t.tmux('pipe-pane', '-t', 't', '-o', `cat >> ${quote(join(dir, 'output'))}`);
    writeFileSync(join(dir, 'go'), '');
    return t;
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** The visible screen, as a person sees it (trailing blank lines dropped). */
  screen(): string {
    // Once the command has ended, tmux (remain-on-exit) writes its "Pane is dead" line below the
    // last row, which scrolls the screen up by one: the screen as the command left it starts one
    // line into the scrollback.
    if (this.exitCode() !== undefined) {
      const rows = Number(this.pane('#{pane_height}'));
      return tidy(this.tmux('capture-pane', '-p', '-t', 't', '-S', '-1', '-E', String(rows - 2)));
    }
    return tidy(this.tmux('capture-pane', '-p', '-t', 't'));
  }

  /** The screen and everything scrolled off it. */
  history(): string {
    return tidy(this.tmux('capture-pane', '-p', '-S', '-', '-t', 't'));
  }

  /** Every byte the command wrote, control sequences included. */
  output(): string {
    const f = join(this.dir, 'output');
    return existsSync(f) ? readFileSync(f, 'latin1') : '';
  }

  /** Keys as tmux names them: 'Enter', 'C-c', 'q', ... */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 't', ...keys);
  }

  /** Literal text, then Enter. */
  typeLine(text: string): void {
    this.tmux('send-keys', '-t', 't', '-l', text);
    this.tmux('send-keys', '-t', 't', 'Enter');
  }

  resize(cols: number, rows: number): void {
    this.tmux('resize-window', '-t', 't', '-x', String(cols), '-y', String(rows));
  }

  /** A tmux format of the pane (#{alternate_on}, #{cursor_flag}, ...). */
  pane(format: string): string {
    return this.tmux('display-message', '-p', '-t', 't', format).trim();
  }

  /** Wait until the screen (or with `in: 'history'`, the scrollback too) matches. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 20_000, where: 'screen' | 'history' | 'output' = 'screen'): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const text = where === 'screen' ? this.screen() : where === 'history' ? this.history() : this.output();
      if (pattern.test(text)) return text;
      if (this.exitCode() !== undefined && !pattern.test(text)) {
        throw new Error(`the command ended (exit ${this.exitCode()}) before ${what}; screen:\n${this.history()}`);
      }
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The command's exit status once it has ended, else undefined. */
  exitCode(): number | undefined {
    const f = join(this.dir, 'status');
    if (!existsSync(f)) return undefined;
    const status = readFileSync(f, 'utf8').trim();
    // Written, and the pane gone with its last output read by tmux.
    return status && this.pane('#{pane_dead}') === '1' ? Number(status) : undefined;
  }

  async exited(timeoutMs = 20_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const code = this.exitCode();
      if (code !== undefined) return code;
      if (Date.now() > end) throw new Error(`the command did not end within ${timeoutMs} ms; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
