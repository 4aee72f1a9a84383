// Demo step for `npm run demo`: a metrics snapshot of the sample app while it serves requests,
// then the Prometheus exporter scraped once, then stopped. About 10 s.
import { createServer } from 'node:net';

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Keep `concurrency` requests in flight against the app until stopped; returns the count. */
function load(port, concurrency = 4) {
  let stop = false;
  let done = 0;
  const worker = async () => {
    while (!stop) {
      await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      done++;
    }
  };
  const all = Promise.all(Array.from({ length: concurrency }, worker));
  return async () => {
    stop = true;
    await all;
    return done;
  };
}

export default async function demo(ctx) {
  ctx.log(`metrics: CPU, memory, network and block I/O of ${ctx.app}, read from its cgroup while it serves requests`);
  const stopLoad = load(ctx.port);
  const snap = await ctx.cli(['metrics', ctx.app, '--sample', '2s']);
  const served = await stopLoad();
  if (snap.code !== 0) throw new Error(`dockside metrics exited ${snap.code}`);
  ctx.log(`(${served} requests served during the snapshot)`);

  const port = await freePort();
  ctx.log('metrics: the Prometheus exporter sidecar, published on 127.0.0.1 only');
  const serve = await ctx.cli(['metrics', 'serve', '--port', String(port), '--interval', '2s']);
  if (serve.code !== 0) {
    ctx.log('(skipping the exporter: it could not start here, see above)');
    return;
  }
  try {
    const body = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    const mine = body
      .split('\n')
      .filter((l) => l.includes(`name="${ctx.app}"`) && /^container_(cpu_usage_seconds_total|memory_working_set_bytes|network_transmit_bytes_total|processes)\{/.test(l));
    console.log(`$ curl -s http://127.0.0.1:${port}/metrics | grep 'name="${ctx.app}"'   (${body.split('\n').length} lines in all; a few of them)`);
    for (const l of mine) console.log(l.replace(/id="\/docker\/([0-9a-f]{12})[0-9a-f]+"/, 'id="/docker/$1..."'));
  } finally {
    await ctx.cli(['metrics', 'stop']);
  }
}
