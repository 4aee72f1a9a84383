/**
 * The test's engine reached as a remote one, over the transports the README promises:
 *   - tcp with TLS: a TLS listener on 127.0.0.1 (certificates made by openssl here, client
 *     certificates required, as `dockerd --tlsverify` does) in front of the real engine's socket;
 *   - ssh: Debian's sshd on 127.0.0.1 with a host key and a user key made for the test; the CLI
 *     runs the system `ssh`, which runs `docker system dial-stdio` on the "remote" host, as the docker
 *     CLI does. The user's ssh configuration is stood in for by an `ssh` on PATH that adds `-F` with
 *     the test's config (identity, known_hosts): ssh reads ~/.ssh from the passwd entry, not $HOME.
 * Both run on loopback only and are stopped by close().
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { join } from 'node:path';
import { freePort, waitFor } from './engine.js';

export interface RemoteEngine {
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new Error(`the remote-engine tests need ${cmd}; run \`bash scripts/setup.sh\` (it installs openssl and openssh-server)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

const ENGINE_SOCKET = '/var/run/docker.sock';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as DOCKER_CERT_PATH wants them. */
function makeCertificates(dir: string): void {
  mkdirSync(dir, { recursive: true });
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=dockside test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', `${who}-key.pem`, '-out', `${who}.csr`], dir);
    run(
      'openssl',
      ['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', `${who}.ext`, '-out', `${who}.pem`],
      dir,
    );
  }
  // The names the docker CLI (and dockside) read from DOCKER_CERT_PATH.
  writeFileSync(join(dir, 'cert.pem'), readFileSync(join(dir, 'client.pem')));
  writeFileSync(join(dir, 'key.pem'), readFileSync(join(dir, 'client-key.pem')));
}

export async function startTlsEngine(dir: string): Promise<RemoteEngine> {
  makeCertificates(dir);
  const port = await freePort();
  const server: Server = createServer(
    {
      key: readFileSync(join(dir, 'server-key.pem')),
      cert: readFileSync(join(dir, 'server.pem')),
      ca: readFileSync(join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (tls) => {
      const up = connect(ENGINE_SOCKET);
      tls.pipe(up).pipe(tls);
      const end = () => {
        tls.destroy();
        up.destroy();
      };
      tls.on('error', end);
      up.on('error', end);
    },
  );
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function startSshEngine(dir: string): Promise<RemoteEngine> {
  mkdirSync(dir, { recursive: true });
  if (!existsSync('/usr/sbin/sshd')) throw new Error('the ssh engine test needs /usr/sbin/sshd; run `bash scripts/setup.sh` (it installs openssh-server)');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', 'host_key'], dir);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', 'user_key'], dir);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      // The engine's remote user needs the docker CLI on its PATH, as on a real host.
      'SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ].join('\n') + '\n',
  );
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation directory
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  writeFileSync(
    join(dir, 'ssh_config'),
    [
      'Host 127.0.0.1',
      `  IdentityFile ${join(dir, 'user_key')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
    ].join('\n') + '\n',
  );
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${join(dir, 'ssh_config')} "$@"\n`);
  chmodSync(join(bin, 'ssh'), 0o755);
  const env = { DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}` };
  await waitFor(
    () => spawnSync('ssh', ['-p', String(port), 'root@127.0.0.1', 'true'], { env: { ...process.env, ...env }, stdio: 'ignore' }).status === 0,
    `sshd on 127.0.0.1:${port} to accept the test key (${log.trim().split('\n').pop() ?? ''})`,
    15_000,
    200,
  );
  return {
    env,
    close: async () => {
      sshd.kill('SIGTERM');
      await new Promise((r) => (sshd.exitCode !== null ? r(undefined) : sshd.once('exit', r)));
    },
  };
}
