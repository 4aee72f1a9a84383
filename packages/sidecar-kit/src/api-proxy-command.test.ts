import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '@dockside/common';
import { apiProxyCommand } from './api-proxy-command.js';

describe('api-proxy subcommand', () => {
  it('needs rules, and says where to put them', async () => {
    await assert.rejects(
      apiProxyCommand([], 'metrics', {}),
      (e: unknown) => e instanceof UsageError && /needs its rules/.test(e.message) && /DOCKSIDE_API_RULES/.test(e.hint ?? ''),
    );
  });
  it('rejects malformed rules before listening', async () => {
    await assert.rejects(apiProxyCommand([], 'metrics', { DOCKSIDE_API_RULES: '[{"method":"PATCH","path":"/x"}]' }), UsageError);
    await assert.rejects(apiProxyCommand([], 'metrics', { DOCKSIDE_API_RULES: 'nope' }), /not JSON/);
    await assert.rejects(apiProxyCommand(['--rules-file', '/nonexistent/rules.json'], 'metrics', {}), /cannot read rules file/);
  });
  it('rejects a bad group id', async () => {
    await assert.rejects(apiProxyCommand(['--gid', 'wheel'], 'metrics', { DOCKSIDE_API_RULES: '[]' }), /--gid must be a group id/);
  });
});
