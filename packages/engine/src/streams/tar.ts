/** tar-stream, loaded on first use. It is CommonJS: its exports sit on `default` when imported from a bundled ES module chunk. */
import type * as TarStream from 'tar-stream';

export async function loadTarStream(): Promise<typeof TarStream> {
  const mod = (await import('tar-stream')) as typeof TarStream & { default?: typeof TarStream };
  return typeof mod.pack === 'function' ? mod : (mod.default as typeof TarStream);
}
