// Demo step for netdebug: a look inside the app's network namespace (the app image has no tools),
// then a 5-second capture while the app serves requests, with its decoded summary, written to a
// pcap that any Wireshark can open.
import { join } from 'node:path';

export default async function demo(ctx) {
  ctx.log("netdebug: the tools shell sees the app's interfaces and listening sockets");
  await ctx.cli(['debug', ctx.app, '--', 'sh', '-c', 'ip -brief addr; ss -tln']);

  ctx.log('netdebug: 5-second capture of port 8080 while the app serves requests, with a summary');
  const file = join(ctx.tmp, 'demo.pcap');
  const capture = ctx.cli(['capture', ctx.app, '--filter', 'tcp port 8080', '--duration', '5s', '-w', file, '--summary']);
  // Requests to the published port (127.0.0.1 only), spread over the capture window.
  await new Promise((r) => setTimeout(r, 1500));
  const paths = ['/', '/index.html', '/missing', '/', '/config.json', '/nope'];
  for (const p of paths) {
    await fetch(`http://127.0.0.1:${ctx.port}${p}`)
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
  }
  const r = await capture;
  if (r.code !== 0) throw new Error(`capture failed (exit ${r.code})`);

  ctx.log(`netdebug: the same file read back on the host (${file})`);
  await ctx.cli(['capture', '--read', file, '--summary', '--limit', '3']);
}
