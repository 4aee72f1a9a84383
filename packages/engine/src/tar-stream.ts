/**
 * tar-stream, loaded lazily. It is CommonJS: a dynamic import of it from the CLI's esbuild bundle
 * (code splitting) yields only a `default` export, while plain Node yields named exports too.
 * Both shapes are accepted here.
 */
export async function loadTarStream(): Promise<typeof import('tar-stream')> {
  const m = (await import('tar-stream')) as typeof import('tar-stream') & { default?: typeof import('tar-stream') };
  return typeof m.pack === 'function' ? m : (m.default as typeof import('tar-stream'));
}
