import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { McpServerStatus } from '../../../src-shared/index.js';
import { packageRoot } from '../../settings.js';
import { bootTestKernel, tempDir } from '../../test-support/fixtures.js';
import { handleKernelRequest } from '../index.js';
import { confinedLaunch, describeConfinement, probeOsSandbox } from './os-sandbox.js';

const PROBE = join(packageRoot(), 'src-main', 'test-support', 'mcp-probe-server.ts');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratch(): string {
  const dir = tempDir('amk-os-sandbox-');
  cleanups.push(dir.dispose);
  return dir.path;
}

const server = (extra: Partial<Parameters<typeof confinedLaunch>[1]> = {}) => ({ command: '/usr/bin/env', args: ['x'], env: {}, network: false, folders: [], ...extra });

/** The mount operations bwrap gets, in order, as "FLAG PATH". */
function mounts(args: string[]): string[] {
  const seen: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (args[i] === '--tmpfs') seen.push(`tmpfs ${args[i + 1]}`);
    if (args[i] === '--bind' || args[i] === '--ro-bind') seen.push(`${args[i]!.slice(2)} ${args[i + 1]}`);
  }
  return seen;
}

describe('the bwrap command line', () => {
  it('unshares everything, keeps the network only when allowed, and runs the command after --', () => {
    const plain = confinedLaunch('/usr/bin/bwrap', server(), scratch());
    expect(plain.command).toBe('/usr/bin/bwrap');
    expect(plain.args).toEqual(expect.arrayContaining(['--unshare-all', '--die-with-parent', '--new-session']));
    expect(plain.args).not.toContain('--share-net');
    expect(plain.args.slice(plain.args.indexOf('--'))).toEqual(['--', '/usr/bin/env', 'x']);
    expect(confinedLaunch('/usr/bin/bwrap', server({ network: true }), scratch()).args).toContain('--share-net');
  });

  it('shows the system read-only and never the home folder, which exists empty; /tmp is private', () => {
    const { args, env } = confinedLaunch('/usr/bin/bwrap', server(), scratch());
    const seen = mounts(args);
    expect(seen).toContain('ro-bind /usr');
    expect(seen).toContain('tmpfs /tmp');
    expect(seen).toContain(`tmpfs ${homedir()}`);
    expect(seen.filter((mount) => mount.startsWith('bind') || mount.startsWith('ro-bind')).map((mount) => mount.split(' ')[1])).not.toContain(homedir());
    expect(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2)).toEqual(['--chdir', '/tmp']);
    expect(env.HOME).toBe(homedir());
  });

  it('keeps configured values out of the command line, where any process could read them', () => {
    const { args, env } = confinedLaunch('/usr/bin/bwrap', server({ env: { API_KEY: 'sekrit' } }), scratch());
    expect(args.join(' ')).not.toContain('sekrit');
    expect(env.API_KEY).toBe('sekrit');
    expect(args).toEqual(expect.arrayContaining(['--unsetenv', 'USER']));
  });

  it('covers the home and data folders after an allowed folder that contains them, and mounts real paths', () => {
    const root = scratch();
    const dataDir = join(root, 'data');
    const work = join(root, 'work');
    mkdirSync(dataDir);
    mkdirSync(work);
    symlinkSync(root, join(work, 'link'));
    const seen = mounts(confinedLaunch('/usr/bin/bwrap', server({ cwd: work, folders: [join(work, 'link')] }), dataDir).args);
    // The link is followed: the folder is mounted where it really is, so the data folder inside it is covered.
    expect(seen).toContain(`bind ${root}`);
    expect(seen).not.toContain(`bind ${join(work, 'link')}`);
    expect(seen.indexOf(`tmpfs ${dataDir}`)).toBeGreaterThan(seen.indexOf(`bind ${root}`));
    expect(seen).toContain(`ro-bind ${work}`);
  });

  it('covers a data folder that sits under a system folder shown read-only', () => {
    const seen = mounts(confinedLaunch('/usr/bin/bwrap', server(), '/opt/amk-data').args);
    expect(seen).toContain('tmpfs /opt/amk-data');
  });

  it('never mounts the root over the sandbox, even as the working folder', () => {
    const { args } = confinedLaunch('/usr/bin/bwrap', server({ cwd: '/' }), scratch());
    expect(mounts(args)).not.toContain('ro-bind /');
    expect(mounts(args)).toContain('tmpfs /tmp');
  });

  it('describes the confinement in words', () => {
    expect(describeConfinement({ kind: 'bubblewrap', bwrap: '/usr/bin/bwrap' }, { network: false, folders: [] })).toBe('confined by bubblewrap: no home folder, no network');
    expect(describeConfinement({ kind: 'bubblewrap', bwrap: '/usr/bin/bwrap' }, { network: true, folders: ['/srv/x'] })).toBe(
      'confined by bubblewrap: no home folder, network allowed, read-write access to /srv/x',
    );
  });
});

describe('the probe', () => {
  it('reports a missing bwrap, or another system, with how to get confinement', async () => {
    expect(await probeOsSandbox('/nonexistent/bwrap')).toEqual({ kind: 'none', warning: expect.stringMatching(/does not exist.*apt install bubblewrap/) });
    expect(await probeOsSandbox(undefined, 'darwin')).toEqual({ kind: 'none', warning: expect.stringContaining('no OS sandbox for them on darwin') });
  });
});

describe('without bubblewrap', () => {
  it('the server runs as before, unconfined, and the list, kernel.info and the question say so', async () => {
    const marker = join(scratch(), 'marker.txt');
    writeFileSync(marker, 'readable');
    const dir = scratch();
    const kernel = await bootTestKernel(dir, { bwrapPath: join(dir, 'no-bwrap-here') });
    cleanups.push(() => kernel.dispose());
    const status = (await handleKernelRequest(kernel, 'mcp.servers.add', {
      name: 'open',
      transport: { kind: 'stdio', command: process.execPath, args: ['--import', 'tsx', PROBE], cwd: packageRoot() },
      approved: true,
    })) as McpServerStatus;
    expect(status).toMatchObject({ health: 'healthy', sandbox: 'none', network: true, sandboxWarning: expect.stringMatching(/unconfined, with your rights.*apt install bubblewrap/) });
    expect(kernel.info().warnings).toContainEqual(expect.stringMatching(/^MCP servers open: native MCP servers run unconfined/));
    await kernel.sandbox.grant('tester', '*', 'mcp:open/read_file', 'session');
    const read = await kernel.tools.invoke('mcp__open__read_file', { path: marker }, { pid: 1, agentId: 'tester', agentName: 'Tester', policy: 'strict', signal: new AbortController().signal });
    expect(read).toEqual({ text: 'readable' });

    cleanups.push(kernel.sandbox.broker.attachApprover());
    const asked = handleKernelRequest(kernel, 'mcp.servers.add', { name: 'asked', transport: { kind: 'stdio', command: process.execPath, args: [PROBE] } });
    await expect.poll(() => kernel.sandbox.broker.list().length).toBe(1);
    expect(kernel.sandbox.broker.list()[0]!.summary).toMatch(/outside the Wasm sandbox, with your rights \(NOT confined: .*apt install bubblewrap/);
    kernel.sandbox.decide(kernel.sandbox.broker.list()[0]!.id, 'deny');
    await expect(asked).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
  });
});
