/** The last lines a container printed (to explain why it failed). */
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';

/** The last lines a (non-TTY) container printed, stdout and stderr merged; '' when unavailable. */
export async function containerLogTail(engine: Engine, id: string, lines = 5): Promise<string> {
  try {
    const buf = (await (await dockerOf(engine)).getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    const { FrameParser } = await import('../streams/demux.js');
    const frames = new FrameParser().push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    return frames
      .map((f) => f.payload.toString('utf8'))
      .join('')
      .trim();
  } catch {
    return '';
  }
}
