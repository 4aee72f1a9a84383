/** One POST with a body, for the http and loki sinks: 2xx is an acknowledgement, 429/5xx and network errors are retried (by the pipeline), any other status is final. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PermanentSinkError, RetryableSinkError } from '../sink.js';

export function post(url: string, body: Buffer, headers: Record<string, string>, timeoutMs = 30_000): Promise<number> {
  const u = new URL(url);
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(u, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 500) text += c;
      });
      res.on('error', reject);
      res.on('end', () => {
        const s = res.statusCode ?? 0;
        if (s >= 200 && s < 300) return resolve(s);
        const why = `${u.host} answered ${s}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`;
        if (s === 429 || s >= 500) reject(new RetryableSinkError(why));
        else reject(new PermanentSinkError(why));
      });
    });
    r.on('timeout', () => r.destroy(new RetryableSinkError(`${u.host} did not answer in ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(body);
  });
}
