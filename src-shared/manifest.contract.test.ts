import { describe, expect, it } from 'vitest';
import { parseAgentManifest } from './manifest.contract.js';
import { parseCapability } from './capability.contract.js';

const valid = {
  id: 'demo',
  name: 'Demo',
  description: 'A demo agent',
  systemPrompt: 'Be helpful.',
  kind: 'background',
  tools: ['calculator'],
};

describe('agent manifest', () => {
  it('accepts a minimal manifest and fills defaults', () => {
    const result = parseAgentManifest(valid);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.manifest.model.temperature).toBe(0);
      expect(result.manifest.capabilities).toEqual([]);
    }
  });

  it('names a missing field', () => {
    const { systemPrompt: _, ...missing } = valid;
    const result = parseAgentManifest(missing, 'demo.json');
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.message).toMatch(/^demo\.json: field `systemPrompt`/);
  });

  it('names a wrongly typed nested field', () => {
    const result = parseAgentManifest({ ...valid, model: { maxSteps: 'many' } });
    if (result.ok) throw new Error('expected a failure');
    expect(result.message).toContain('field `model.maxSteps`');
  });

  it('rejects unknown fields, so typos are not silently ignored', () => {
    const result = parseAgentManifest({ ...valid, tols: [] });
    if (result.ok) throw new Error('expected a failure');
    expect(result.message).toContain('tols');
  });

  it('requires a trigger for an interrupt handler', () => {
    const result = parseAgentManifest({ ...valid, kind: 'interrupt-handler' });
    if (result.ok) throw new Error('expected a failure');
    expect(result.message).toContain('field `trigger`');
  });

  it('rejects a malformed capability with the reason', () => {
    const result = parseAgentManifest({ ...valid, capabilities: ['net:bad host'] });
    if (result.ok) throw new Error('expected a failure');
    expect(result.message).toContain('field `capabilities.0`');
  });
});

describe('capabilities', () => {
  it.each([
    ['net:api.example.com', { kind: 'net', host: 'api.example.com', port: null }],
    ['net:*.example.com:8443', { kind: 'net', host: '*.example.com', port: 8443 }],
    ['fs:read:/home/me/docs', { kind: 'fs', mode: 'read', path: '/home/me/docs' }],
    ['clock', { kind: 'clock' }],
    ['env:HOME', { kind: 'env', key: 'HOME' }],
    ['mcp:github/create_issue', { kind: 'mcp', server: 'github', tool: 'create_issue' }],
    ['proc:read:42', { kind: 'proc', pid: 42, agent: null }],
    ['proc:read:storyteller', { kind: 'proc', pid: null, agent: 'storyteller' }],
    ['mcp-server:github', { kind: 'mcp-server', name: 'github' }],
  ])('parses %s', (text, expected) => {
    expect(parseCapability(text)).toEqual(expected);
  });

  it.each(['net:', 'net:host:70000', 'fs:exec:/bin', 'disk', 'env:1BAD', 'proc:write:42', 'proc:read:', 'proc:read:Bad_Agent', 'mcp-server:Bad Name'])('refuses %s with a reason', (text) => {
    expect(typeof parseCapability(text)).toBe('string');
  });
});
