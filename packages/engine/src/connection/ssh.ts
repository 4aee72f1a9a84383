/**
 * An engine over ssh, reached the way the docker CLI reaches it: the system's `ssh` runs
 * `docker system dial-stdio` on the remote host, and that process's stdin/stdout is one HTTP
 * connection to the remote engine. Using the ssh binary (not an ssh library) means the user's
 * ~/.ssh/config, known_hosts checking, keys, ssh-agent and ControlMaster all apply, as they do for
 * `docker -H ssh://...`.
 *
 * SshAgent is an http.Agent whose connections are such processes: one per concurrent request,
 * kept alive between requests (the docker CLI keeps one too). An idle connection does not keep the
 * CLI running: it is unref'd while it waits in the pool and ref'd again when a request takes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, type AgentOptions } from 'node:http';
import { Duplex } from 'node:stream';
import { EngineUnreachableError } from '@dockside/common';
import type { EngineEndpoint } from './endpoint.js';

/** The argv of one connection: as the docker CLI builds it (cli/connhelper/ssh). */
export function sshArgv(endpoint: Pick<EngineEndpoint, 'host' | 'port' | 'username'>): string[] {
  const args = ['-o', 'ConnectTimeout=30', '-T'];
  if (endpoint.username) args.push('-l', endpoint.username);
  if (endpoint.port && endpoint.port !== 22) args.push('-p', String(endpoint.port));
  // `--` so that a host name can never be read as an option of ssh's.
  args.push('--', endpoint.host ?? 'localhost', 'docker', 'system', 'dial-stdio');
  return args;
}

/** One `ssh ... docker system dial-stdio` process as a socket-like stream. */
export class SshConnection extends Duplex {
  private stderr = '';
  private exited = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly display: string,
  ) {
    super({ allowHalfOpen: false });
    const out = child.stdout!;
    out.on('data', (c: Buffer) => {
      if (!this.push(c)) out.pause();
    });
    // The end of ssh's output is the end of the connection, unless ssh failed: then its own words
    // (host key, permission denied, no docker on the remote) are the error, not a bare ECONNRESET.
    const exit = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (code, signal) => r([code, signal])));
    out.on('end', () => {
      void exit.then(([code, signal]) => {
        if (code !== 0 && code !== null && !this.destroyed) this.destroy(this.failed(code, signal));
        else this.push(null);
      });
    });
    child.stderr!.on('data', (c: Buffer) => {
      // Bounded: only the last words matter for the message.
      this.stderr = (this.stderr + c.toString('utf8')).slice(-2000);
    });
    child.stdin!.on('error', () => undefined); // EPIPE once ssh is gone: the exit below reports it
    child.on('error', (err: NodeJS.ErrnoException) => this.destroy(err.code === 'ENOENT' ? this.noSsh() : err));
    child.on('exit', () => (this.exited = true));
  }

  private noSsh(): Error {
    return new EngineUnreachableError(`cannot reach the Docker engine at ${this.display}: no ssh client on this machine`, {
      hint: 'install OpenSSH (Debian: apt-get install openssh-client)',
    });
  }

  private failed(code: number | null, signal: NodeJS.Signals | null): Error {
    const words = this.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^Warning: Permanently added/.test(l))
      .pop();
    return new EngineUnreachableError(`cannot reach the Docker engine at ${this.display}: ssh ${words ? `said: ${words}` : `exited ${code ?? signal}`}`, {
      hint: 'check that `ssh <host> docker version` works (keys or ssh-agent, known_hosts, docker on the remote PATH)',
    });
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.child.stdin!.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin!.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.exited) this.child.kill('SIGTERM');
    cb(err);
  }

  /** Whether this connection may keep the process alive (net.Socket's ref/unref). */
  ref(): this {
    this.child.ref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { ref?: () => void } | null)?.ref?.();
    return this;
  }

  unref(): this {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    return this;
  }

  // What http's client calls on a socket; a pipe has no such options.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

export class SshAgent extends Agent {
  constructor(
    private readonly endpoint: EngineEndpoint,
    private readonly env: NodeJS.ProcessEnv = process.env,
    opts: AgentOptions = {},
  ) {
    super({ keepAlive: true, ...opts });
  }

  override createConnection(): Duplex {
    const child = spawn('ssh', sshArgv(this.endpoint), { stdio: ['pipe', 'pipe', 'pipe'], env: this.env });
    return new SshConnection(child, this.endpoint.display);
  }

  /** Back in the pool: it must not keep the CLI from exiting. */
  override keepSocketAlive(socket: Duplex): boolean {
    (socket as SshConnection).unref();
    return true;
  }

  override reuseSocket(socket: Duplex): void {
    (socket as SshConnection).ref();
  }
}
