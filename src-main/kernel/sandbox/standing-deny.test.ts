import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GrantRequest, KernelEventBody } from '../../../src-shared/index.js';
import { AuditLog } from '../core/audit-log.js';
import { loadOrCreateKernelKey } from '../core/kernel-key.js';
import { tempDir } from '../../test-support/fixtures.js';
import { authorizeNeeds, type SandboxServices } from './authorize.js';
import type { NeededCapability } from './capability-check.js';
import { GrantBroker } from './grant-broker.js';
import { GrantStore } from './grant-store.js';
import { Sandbox } from './sandbox.js';

const need: NeededCapability = { capability: 'net:example.com:443', parsed: { kind: 'net', host: 'example.com', port: 443 }, summary: 'connect to example.com:443', risk: 'medium' };
const context = { pid: 7, agentId: 'fetcher', agentName: 'Fetcher', policy: 'strict' as const, signal: new AbortController().signal };

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real store, broker and audit log in a fresh data folder; `requests` collects what the user is asked. */
async function world() {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const key = loadOrCreateKernelKey(dir.path);
  const requests: GrantRequest[] = [];
  const emit = (body: KernelEventBody): void => {
    if (body.type === 'grant.requested') requests.push(body.request);
  };
  const grants = new GrantStore(join(dir.path, 'grants.json'), emit, key, []);
  const broker = new GrantBroker(emit, 60_000);
  const audit = await AuditLog.open({ path: join(dir.path, 'audit.jsonl'), key });
  cleanups.push(() => audit.dispose());
  cleanups.push(broker.attachApprover());
  const services: SandboxServices = { grants, broker, audit };
  return { dir: dir.path, key, services, requests, broker, grants, audit };
}

/** Calls authorize and answers the request it raises with `decision`; returns the call's error. */
async function callAnswering(w: Awaited<ReturnType<typeof world>>, decision: 'deny' | 'deny-session' | 'deny-always'): Promise<unknown> {
  const call = authorizeNeeds(w.services, { name: 'http_get' }, [need], {}, context).catch((error: unknown) => error);
  const asked = w.requests.at(-1);
  expect(asked?.capability).toBe(need.capability);
  w.broker.decide(asked!.id, decision);
  return call;
}

describe('standing denies', () => {
  it('a plain deny refuses this call only: the next one asks again', async () => {
    const w = await world();
    expect(await callAnswering(w, 'deny')).toMatchObject({ code: 'CAPABILITY_DENIED' });
    expect(await callAnswering(w, 'deny')).toMatchObject({ code: 'CAPABILITY_DENIED' });
    expect(w.requests).toHaveLength(2);
  });

  it('"deny for this session" refuses the next call at once, without asking, audited as a standing deny', async () => {
    const w = await world();
    await callAnswering(w, 'deny-session');
    const [deny] = w.grants.list();
    expect(deny).toMatchObject({ effect: 'deny', scope: 'session', agentId: 'fetcher', tool: 'http_get', capability: need.capability });
    await expect(authorizeNeeds(w.services, { name: 'http_get' }, [need], {}, context)).rejects.toMatchObject({ code: 'CAPABILITY_DENIED', data: { by: 'standing-deny' } });
    expect(w.requests).toHaveLength(1);
    expect(w.audit.query({ outcome: 'denied' }).at(-1)?.reason).toMatch(/by standing deny d-/);
    // A deny is never a grant, and another agent is not affected by it.
    expect(w.grants.use('fetcher', 'http_get', need.parsed)).toBeNull();
    const other = authorizeNeeds(w.services, { name: 'http_get' }, [need], {}, { ...context, agentId: 'other' }).catch((error: unknown) => error);
    expect(w.requests).toHaveLength(2);
    w.broker.decide(w.requests[1]!.id, 'allow-once');
    expect(await other).toEqual([need]);
  });

  it('"never" persists MACed across a restart, and revoking it makes the agent ask again', async () => {
    const w = await world();
    await callAnswering(w, 'deny-always');
    const reloaded = new GrantStore(join(w.dir, 'grants.json'), () => undefined, w.key, []);
    expect(reloaded.loadProblems).toEqual([]);
    const [deny] = reloaded.list();
    expect(deny).toMatchObject({ effect: 'deny', scope: 'always' });
    w.grants.revoke(deny!.id);
    const call = authorizeNeeds(w.services, { name: 'http_get' }, [need], {}, context);
    expect(w.requests).toHaveLength(2);
    w.broker.decide(w.requests[1]!.id, 'allow-once');
    await expect(call).resolves.toEqual([need]);
  });

  it('a revoke is audited as revoked, not as a denial', async () => {
    const w = await world();
    const sandbox = new Sandbox({ dataDir: w.dir, toolDirs: [], grantTimeoutMs: 60_000, audit: w.audit, emit: () => undefined });
    cleanups.push(() => sandbox.dispose());
    const grant = await sandbox.grant('fetcher', '*', 'net:127.0.0.1:8080', 'session');
    sandbox.revoke(grant.id);
    const record = w.audit.query({ kind: 'grant' }).at(-1);
    expect(record).toMatchObject({ outcome: 'revoked', capability: 'net:127.0.0.1:8080', reason: `revoked by the user (${grant.id})` });
    expect(w.audit.query({ outcome: 'denied' })).toEqual([]);
  });

  it('a saved deny edited into an allow fails its integrity check and grants nothing', async () => {
    const w = await world();
    await callAnswering(w, 'deny-always');
    const path = join(w.dir, 'grants.json');
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { grants: { grant: Record<string, unknown> }[] };
    delete saved.grants[0]!.grant.effect;
    writeFileSync(path, JSON.stringify(saved));
    const reloaded = new GrantStore(path, () => undefined, w.key, []);
    expect(reloaded.list()).toEqual([]);
    expect(reloaded.loadProblems.join('\n')).toMatch(/integrity check/);
  });
});
