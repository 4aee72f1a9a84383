/**
 * The CLI used as a person uses it: in a real pseudo-terminal (tmux, support/terminal.ts), reading
 * the screen. Piped runs (every other suite) never take the paths a terminal takes: colours and
 * spinners, raw mode and the alternate screen, a TTY sidecar with its window size, Ctrl-C as a key
 * rather than a signal, progress drawn in place. Each test here was seen failing on the bundle that
 * crashed in a terminal (a lazy module stub that required itself).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMAGE_TAG, ROOT, RUN_ID, cleanupRun, createVolume, docker, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';
import { Terminal } from '../support/terminal.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
const COMMANDS = Object.keys((JSON.parse(readFileSync(join(ROOT, 'packages', 'cli', 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }).commands).map((id) =>
  id.split(':'),
);

/** What a crash or a leaked stack trace looks like on a screen. */
function assertNoCrash(screen: string): void {
  assert.doesNotMatch(screen, /RangeError|TypeError|ReferenceError|Node\.js v\d+|^\s+at .+:\d+:\d+\)?$/m, `a crash or a stack trace on the screen:\n${screen}`);
}

describe('the CLI in a terminal', { timeout: 600_000 }, () => {
  const open: Terminal[] = [];
  const term = (t: Terminal) => (open.push(t), t);
  let app = '';
  let dir = '';
  before(async () => {
    await requireEngine();
    dir = mkdtempSync(join(tmpdir(), 'ds-tty-test-'));
    const vol = createVolume('tty-data');
    // 160 MiB that does not compress: a backup long enough to draw progress on the way.
    app = startFixture('tty', ['-v', `${vol}:/data`, BASE, 'sh', '-c', 'head -c 167772160 /dev/urandom > /data/blob; touch /data/.ready; exec sleep infinity']);
    await waitFor(() => spawnSync('docker', ['exec', app, 'test', '-e', '/data/.ready']).status === 0, "the fixture's data", 60_000, 250);
  });
  after(() => {
    for (const t of open) t.close();
    cleanupRun();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--version and --help', async () => {
    const v = term(Terminal.dockside(['--version']));
    assert.equal(await v.exited(), 0, v.history());
    assert.match(v.screen(), /^@dockside\/cli\/\d+\.\d+\.\d+ linux-x64 node-v\d+/m);
    assertNoCrash(v.history());
    const h = term(Terminal.dockside(['--help']));
    assert.equal(await h.exited(), 0, h.history());
    assert.match(h.history(), /USAGE/);
    for (const c of ['backup', 'debug', 'top', 'logs', 'cron']) assert.match(h.history(), new RegExp(`^\\s+${c}\\s`, 'm'), `${c} listed`);
    assertNoCrash(h.history());
  });

  it("every command's --help reads as documentation", async () => {
    // One terminal, one shell: each command's help and its exit status, in order.
    const line = COMMANDS.map((c) => `node packages/cli/bin/run.js ${c.join(' ')} --help; echo "[${c.join(' ')} exit $?]"`).join('; ');
    const t = term(Terminal.shell(line, { cols: 100, rows: 50 }));
    assert.equal(await t.exited(120_000), 0);
    const all = t.history();
    assertNoCrash(all);
    for (const c of COMMANDS) {
      const id = c.join(' ');
      assert.match(all, new RegExp(`\\[${id} exit 0\\]`), `${id} --help exits 0`);
    }
    assert.equal(all.match(/^USAGE$/gm)?.length, COMMANDS.length, 'a USAGE section for every command');
  });

  it('ps, metrics, images ls: tables that fit the screen', async () => {
    // A sidecar for ps to show: a debug session left running in the background (piped).
    const bg = spawnCli(['debug', app, '--', 'sleep', '60']);
    try {
      await waitFor(() => docker('ps', '-q', '--filter', `label=dockside.target.name=${app}`), 'the debug sidecar', 30_000);
      const ps = term(Terminal.dockside(['ps'], { cols: 160 }));
      assert.equal(await ps.exited(), 0, ps.history());
      assert.match(ps.screen(), /^NAME\s+ROLE\s+.*TARGET/m);
      assert.match(ps.screen(), new RegExp(`netdebug\\s.*${app}`));
      assertNoCrash(ps.screen());
    } finally {
      bg.kill('SIGTERM');
      await new Promise((r) => bg.once('exit', r));
    }
    const m = term(Terminal.dockside(['metrics', app]));
    assert.equal(await m.exited(), 0, m.history());
    assert.match(m.screen(), /^NAME\s+CPU %\s+MEM/m);
    assert.match(m.screen(), new RegExp(`^${app}\\s+\\d`, 'm'));
    // Every tag on the engine is a row: read the scrollback too.
    const i = term(Terminal.dockside(['images', 'ls'], { cols: 100 }));
    assert.equal(await i.exited(), 0, i.history());
    assert.match(i.history(), /^IMAGE\s+ROLE\s+VERSION/m);
    for (const row of i.history().split('\n')) assert.ok(row.length <= 100, `a row wider than the screen: ${row}`);
    assert.match(i.history(), new RegExp(`^dockside/base:${IMAGE_TAG}\\s+base\\s`, 'm'), 'one row per tag');
  });

  it('logs ship, logs status, logs stop; cron start, cron ls, cron stop', async () => {
    const name = `tty${RUN_ID.replace(/[^a-z0-9]/g, '')}`.slice(0, 20);
    const talker = startFixture('tty-log', [
      '--label',
      'dockside.cron.hello.schedule=0 3 * * *',
      '--label',
      'dockside.cron.hello.exec=echo hello',
      BASE,
      'sh',
      '-c',
      'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.1; done',
    ]);
    try {
      const ship = term(Terminal.dockside(['logs', 'ship', talker, '--name', name, '--to', `file://${join(dir, 'logs')}`]));
      assert.equal(await ship.exited(90_000), 0, ship.history());
      await waitFor(
        async () => {
          const r = await runCli(['logs', 'status', '--name', name, '--json']);
          return r.code === 0 && /"lines":\s*[1-9]/.test(r.stdout);
        },
        'the first lines shipped',
        30_000,
        500,
      );
      const st = term(Terminal.dockside(['logs', 'status', '--name', name], { cols: 160 }));
      assert.equal(await st.exited(30_000), 0, st.history());
      assert.match(st.screen(), /^CONTAINER\s+.*LINES/m);
      assert.match(st.screen(), new RegExp(`^${talker}\\s+\\d+`, 'm'));
      assertNoCrash(st.history());
    } finally {
      await runCli(['logs', 'stop', '--name', name]);
    }
    try {
      mkdirSync(join(dir, 'cron-backups')); // cron start refuses a backup directory that does not exist
      const cron = term(Terminal.dockside(['cron', 'start', '--backup-dir', join(dir, 'cron-backups')]));
      assert.equal(await cron.exited(90_000), 0, cron.history());
      const ls = term(Terminal.dockside(['cron', 'ls'], { cols: 160 }));
      assert.equal(await ls.exited(30_000), 0, ls.history());
      assert.match(ls.screen(), /^JOB\s+SCHEDULE/m);
      assert.match(ls.screen(), new RegExp(`^${talker}/hello\\s+0 3 \\* \\* \\*`, 'm'));
      assertNoCrash(ls.history());
    } finally {
      await runCli(['cron', 'stop']);
    }
  });

  it('top: keys change the sort, q quits and gives the terminal back', async () => {
    const t = term(Terminal.dockside(['top', '--interval', '1s']));
    await t.waitFor(/sorted by cpu/, 'the first frame');
    assert.equal(t.pane('#{alternate_on}'), '1', 'top draws on the alternate screen');
    t.keys('m');
    await t.waitFor(/sorted by mem/, 'the sort to change to memory');
    t.keys('a');
    await t.waitFor(/sorted by name/, 'the sort to change to name');
    t.keys('q');
    assert.equal(await t.exited(10_000), 0);
    assert.equal(t.pane('#{alternate_on}'), '0', 'back on the normal screen');
    // tmux hides the cursor of a pane whose command has ended: read what top wrote last instead.
    const out = t.output();
    assert.ok(out.lastIndexOf('\u001b[?25h') > out.lastIndexOf('\u001b[?25l'), 'the cursor shown again');
    assert.ok(out.lastIndexOf('\u001b[?1049l') > out.lastIndexOf('\u001b[?1049h'), 'the alternate screen left');
    assert.match(t.screen(), /sorted by name/, 'the last frame left on the screen');
    assertNoCrash(t.history());
  });

  it('debug <c>: an interactive shell in the target, its window size, Ctrl-C to its foreground program, exit', async () => {
    const t = term(Terminal.dockside(['debug', app], { cols: 111, rows: 33 }));
    await t.waitFor(/\(dockside:[^)]+\)\S*#\s*$/m, 'the shell prompt', 60_000);
    t.typeLine('stty size; hostname');
    await t.waitFor(/^33 111$/m, 'the terminal size inside the sidecar');
    assert.match(t.screen(), new RegExp(`^${docker('inspect', '-f', '{{.Config.Hostname}}', app)}$`, 'm'), "in the target's UTS namespace");
    t.resize(97, 29);
    t.typeLine('stty size');
    await t.waitFor(/^29 97$/m, 'the new size after a resize');
    t.typeLine('sleep 300');
    await t.waitFor(/# sleep 300$/m, 'the command typed');
    await new Promise((r) => setTimeout(r, 500));
    t.keys('C-c');
    await t.waitFor(/^\^C\n\(dockside:[^)]+\)\S*#\s*$/m, 'the prompt again after Ctrl-C');
    t.typeLine('echo "sleep ended $?, still-here-$((40+2))"');
    await t.waitFor(/^sleep ended 130, still-here-42$/m, 'Ctrl-C to have ended the foreground sleep only, and the shell alive');
    t.typeLine('exit');
    assert.equal(await t.exited(30_000), 0, t.history());
    assertNoCrash(t.history());
    await waitFor(() => docker('ps', '-aq', '--filter', `label=dockside.target.name=${app}`) === '', 'the sidecar to be gone', 20_000);
  });

  it('backup on a terminal: live progress with rate and ETA, then the summary', async () => {
    const t = term(Terminal.dockside(['backup', app, '--to', join(dir, 'backups'), '--compress', 'gzip']));
    assert.equal(await t.exited(180_000), 0, t.history());
    const drawn = t.output();
    assert.match(drawn, /\d+%[^\r\n]*\/s[^\r\n]*ETA/, 'a progress line with a rate and an ETA was drawn');
    assert.match(t.screen(), /complete: 1 archive\(s\)/);
    assert.doesNotMatch(t.screen(), /ETA/, 'the progress line is cleared once the summary is written');
    assertNoCrash(t.history());
  });

  it('capture --summary: a live view, then Ctrl-C with the final counts', async () => {
    const talker = startFixture('tty-udp', [BASE, 'node', '-e', "const s=require('dgram').createSocket('udp4');setInterval(()=>s.send('x'.repeat(64),9999,'127.0.0.1'),20)"]);
    const t = term(Terminal.dockside(['capture', talker, '--summary']));
    await t.waitFor(/\d+ packets captured.*\(live\)/, 'the live counts', 60_000);
    t.keys('C-c');
    assert.equal(await t.exited(30_000), 0, t.history());
    const final =
      t
        .screen()
        .split('\n')
        .filter((l) => /packets captured/.test(l))
        .pop() ?? '';
    assert.match(final, /^\d+ packets captured/);
    assert.doesNotMatch(final, /\(live\)/, 'the last counts are the final ones');
    assertNoCrash(t.history());
  });

  it('an error is one line and its hint, never a stack trace', async () => {
    const t = term(Terminal.dockside(['probe', 'no-such-container-here']));
    assert.equal(await t.exited(), 2);
    const lines = t
      .screen()
      .split('\n')
      .filter((l) => l.trim());
    assert.equal(lines.length, 2, t.screen());
    assert.match(lines[0]!, /^dockside: no container named "no-such-container-here"$/);
    assert.match(lines[1]!, /^ {2}hint: /);
  });
});
