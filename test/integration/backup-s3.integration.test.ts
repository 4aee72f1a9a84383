/**
 * dockside backup/restore with S3 as the target: a real S3-protocol server (s3rver on 127.0.0.1,
 * reached by the sidecar with --network host), multipart uploads, credentials that never show in
 * `docker inspect`, a killed upload cleaned up by the next run, and one-line errors for wrong
 * credentials and a missing bucket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RUN_ID, RUN_LABEL, cleanupRun, createVolume, docker, requireEngine, runCli, spawnCli, startFixture, waitFor } from '../support/engine.js';
import { BASE_IMAGE, fill, snapshotVolume, startS3, withoutSpecial, type Entry, type S3Server } from './backup-support.js';

const label = `${RUN_LABEL}=${RUN_ID}`;

describe('backup and restore to S3 (s3rver)', { timeout: 300_000 }, () => {
  let s3: S3Server;
  let vol: string;
  let app: string;
  let original: Entry[];
  let env: NodeJS.ProcessEnv;
  let s3args: string[];
  /** ls runs on the host: no sidecar, no --network. */
  let lsArgs: string[];
  let target: string;

  before(async () => {
    await requireEngine();
    s3 = await startS3();
    env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_PROFILE: '' };
    lsArgs = ['--s3-endpoint', s3.endpoint, '--s3-path-style'];
    s3args = [...lsArgs, '--network', 'host'];
    target = `s3://${s3.bucket}/backups/${RUN_ID}`;
    vol = createVolume('s3data');
    app = startFixture('s3app', ['--init', '-v', `${vol}:/data`, BASE_IMAGE, 'sleep', 'infinity']);
    fill(app, '/data');
    // Big enough for a multipart upload (8 MiB parts).
    docker('exec', app, 'sh', '-c', 'head -c 30000000 /dev/urandom > /data/upload.bin');
    original = snapshotVolume(vol, label);
  });

  after(async () => {
    cleanupRun();
    await s3?.close();
  });

  test('backup to S3 with multipart upload, secret never in docker inspect; restore from S3', async () => {
    const child = spawnCli(['backup', app, '--to', target, ...s3args, '--json'], env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    // Inspect the running sidecar while it uploads.
    const inspected = await waitFor(
      () => {
        const id = docker('ps', '-q', '--filter', 'label=dockside.role=backup', '--filter', `label=dockside.target.name=${app}`);
        if (!id) return undefined;
        try {
          return docker('inspect', id);
        } catch {
          return undefined;
        }
      },
      'the backup sidecar to run',
      30_000,
      10,
    );
    assert.equal(await exited, 0, stderr);
    assert.ok(!inspected.includes(s3.secretAccessKey), 'the secret key is not in docker inspect');
    assert.ok(!inspected.includes(s3.accessKeyId), 'the access key id is not in docker inspect');
    const info = JSON.parse(inspected)[0];
    assert.equal(info.HostConfig.Privileged, false);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.deepEqual(info.HostConfig.CapAdd, ['DAC_READ_SEARCH']);
    assert.equal(info.HostConfig.NetworkMode, 'host');
    assert.ok(!stdout.includes(s3.secretAccessKey) && !stderr.includes(s3.secretAccessKey));
    const m = JSON.parse(stdout);
    assert.ok(!JSON.stringify(m).includes(s3.secretAccessKey));
    assert.ok(m.archives[0].bytes > 16 * 1024 * 1024, 'the archive spans several 8 MiB parts');
    assert.deepEqual(s3.openUploads(), []);

    const ls = await runCli(['backup', 'ls', '--from', target, ...lsArgs, '--json'], { env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(
      JSON.parse(ls.stdout).backups.map((x: { id: string }) => x.id),
      [m.id],
    );
    const v = await runCli(['backup', 'verify', '--from', target, ...s3args, '--id', m.id], { env });
    assert.equal(v.code, 0, v.stderr);

    docker('exec', app, 'sh', '-c', 'rm -rf /data/dir /data/upload.bin; echo x > /data/big.bin');
    const r = await runCli(['restore', app, '--from', target, ...s3args, '--yes'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshotVolume(vol, label), withoutSpecial(original));
  });

  test('a killed upload is not listed; the next backup aborts the multipart upload and removes the leftovers', async () => {
    const killedTarget = `${target}-killed`;
    const child = spawnCli(['backup', app, '--to', killedTarget, ...s3args, '--compress', 'gzip', '--level', '9'], env);
    const exited = new Promise<number | null>((r) => child.on('close', r));
    // Wait until the upload is open and its id recorded in the backup's in-progress marker (it is
    // written right after CreateMultipartUpload returns and before any part is sent).
    const { S3Client, ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const prefix = killedTarget.replace(`s3://${s3.bucket}/`, '');
    await waitFor(
      async () => {
        const open = s3.openUploads();
        if (open.length === 0) return false;
        const list = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` }));
        const marker = list.Contents?.find((o) => o.Key?.endsWith('/in-progress.json'));
        if (!marker) return false;
        const body = await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: marker.Key }))).Body?.transformToString();
        return open.every((u) => body?.includes(u));
      },
      'a multipart upload to start and be recorded',
      60_000,
      10,
    );
    client.destroy();
    const sidecar = docker('ps', '-q', '--filter', 'label=dockside.role=backup', '--filter', `label=dockside.target.name=${app}`);
    assert.ok(sidecar);
    // Kill the CLI first (as if the host shell died), then the sidecar: nobody cleans up now.
    child.kill('SIGKILL');
    await exited;
    docker('kill', sidecar);
    await waitFor(() => !docker('ps', '-aq', '--filter', `id=${sidecar}`), 'the sidecar to be gone', 20_000);
    assert.equal(s3.openUploads().length, 1, 'the cut-off multipart upload is still open');

    const ls = await runCli(['backup', 'ls', '--from', killedTarget, ...lsArgs], { env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /no complete backups/);
    assert.match(ls.stdout, /1 incomplete backup/);

    const next = await runCli(['backup', app, '--to', killedTarget, ...s3args, '--volume', '/data', '--exclude', 'upload.bin', '--json'], { env });
    assert.equal(next.code, 0, next.stderr);
    const m = JSON.parse(next.stdout);
    assert.deepEqual(s3.openUploads(), [], 'the unfinished upload was aborted');
    const all = await runCli(['backup', 'ls', '--from', killedTarget, ...lsArgs, '--json'], { env });
    assert.deepEqual(
      JSON.parse(all.stdout).backups.map((x: { id: string }) => x.id),
      [m.id],
    );
    const again = await runCli(['backup', 'ls', '--from', killedTarget, ...lsArgs], { env });
    assert.doesNotMatch(again.stdout, /incomplete/);
  });

  test('wrong credentials, a missing bucket and no credentials: one line each, non-zero exit', async () => {
    // s3rver checks access key ids but not SigV4 signatures: an unknown key id is what it rejects.
    const wrong = await runCli(['backup', app, '--to', target, ...s3args], { env: { ...env, AWS_ACCESS_KEY_ID: 'DSNOSUCHKEY' } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /S3 rejected the credentials/);
    assert.equal(
      wrong.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.trim().startsWith('hint:')).length,
      1,
      wrong.stderr,
    );
    const wrongLs = await runCli(['backup', 'ls', '--from', target, ...lsArgs], { env: { ...env, AWS_ACCESS_KEY_ID: 'NOSUCHKEY' } });
    assert.equal(wrongLs.code, 1);
    assert.match(wrongLs.stderr, /S3 rejected the credentials/);

    const missing = await runCli(['backup', app, '--to', 's3://no-such-bucket/x', ...s3args], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /bucket "no-such-bucket" does not exist/);
    assert.equal(
      missing.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.trim().startsWith('hint:')).length,
      1,
      missing.stderr,
    );

    const none = await runCli(['backup', app, '--to', target, ...s3args], {
      env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' },
    });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no S3 credentials/);

    const fromFile = await runCli(['backup', 'ls', '--from', target, ...lsArgs], {
      env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ACCESS_KEY_ID_FILE: '/nonexistent/key', AWS_SECRET_ACCESS_KEY_FILE: '/nonexistent/secret' },
    });
    assert.equal(fromFile.code, 2);
    assert.match(fromFile.stderr, /cannot read AWS_ACCESS_KEY_ID_FILE/);
  });
});
