/**
 * The environment for a child process of dockside's build steps (node-gyp, npm pack, tar, ...).
 *
 * `npm run <script>` exports the whole npm configuration as `npm_config_*` variables (plus
 * `npm_package_*` and `npm_lifecycle_*`), and tools such as node-gyp let those win over their own
 * arguments: a machine whose npm config sets `nodedir` gets native addons built against the host's
 * Node headers whatever `--nodedir` says. So a build step must behave the same run through npm or
 * directly: every such variable is dropped, except the few that only tell npm where and how to
 * fetch (registry, proxy, certificates, cache). Those never change what gets compiled, and a host
 * behind a mirror or a proxy needs them to fetch Node's headers.
 */
const NPM_VARIABLE = /^npm_(config|package|lifecycle)_/i;
const FETCH_SETTINGS = /^npm_config_(registry|@[^:]+:registry|proxy|https_proxy|http_proxy|noproxy|cafile|ca|strict_ssl|cache)$/i;

export function childEnv(env: NodeJS.ProcessEnv = process.env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (NPM_VARIABLE.test(k) && !FETCH_SETTINGS.test(k)) continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}
