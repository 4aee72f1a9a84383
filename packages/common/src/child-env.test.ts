import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childEnv } from './child-env.js';

describe('childEnv', () => {
  it('drops what `npm run` exports (config that changes a build, package and lifecycle data)', () => {
    const env = childEnv({
      PATH: '/usr/bin',
      HOME: '/root',
      npm_config_nodedir: '/usr',
      NPM_CONFIG_TARGET: '20.0.0',
      npm_config_node_gyp: '/x/node-gyp.js',
      npm_package_name: 'dockside-monorepo',
      npm_lifecycle_event: 'build',
    });
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/root' });
  });

  it('keeps the settings that only say where and how to fetch, and adds extras', () => {
    const env = childEnv(
      {
        npm_config_registry: 'https://mirror/',
        'npm_config_@acme:registry': 'https://acme/',
        npm_config_https_proxy: 'http://p:3128',
        npm_config_cafile: '/ca.pem',
        npm_config_cache: '/c',
      },
      { DOCKSIDE_X: '1' },
    );
    assert.deepEqual(Object.keys(env).sort(), [
      'DOCKSIDE_X',
      'npm_config_@acme:registry',
      'npm_config_cache',
      'npm_config_cafile',
      'npm_config_https_proxy',
      'npm_config_registry',
    ]);
  });
});
