import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displaySinkUrl } from './url.js';

describe('displaySinkUrl', () => {
  it('masks user info, every query value and the fragment; keeps what says where', () => {
    assert.equal(displaySinkUrl('http://u:p@logs.example.com/ingest?token=T&x=1#sig'), 'http://***@logs.example.com/ingest?token=***&x=***#***');
    assert.equal(displaySinkUrl('https://logs.example.com:8443/in?api_key=s%3Dcret'), 'https://logs.example.com:8443/in?api_key=***');
    assert.equal(displaySinkUrl('loki://loki.internal:3100'), 'loki://loki.internal:3100');
    assert.equal(displaySinkUrl('file:///var/log/shipped'), 'file:///var/log/shipped');
    // dockside's own settings are not secrets.
    assert.equal(displaySinkUrl('syslog+tls://logs.example.com:6514?insecure=1'), 'syslog+tls://logs.example.com:6514?insecure=1');
    assert.equal(displaySinkUrl('http://host/a?flag'), 'http://host/a?flag', 'a key without a value');
  });

  it('never shows what it cannot parse', () => {
    assert.equal(displaySinkUrl('http://u:p@[bad'), '(unparsable URL)');
  });
});
