import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreInfo, KernelEvent } from '../../src-shared/index.js';
import { handleKernelRequest, type Kernel } from '../kernel/index.js';
import { resolveKernelConfig } from '../settings.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { expectNoUncaughtExceptions } from './no-uncaught.js';

expectNoUncaughtExceptions();

/** A hostile "engine" on loopback: each test gives it a handler. */
async function engine(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; seen: IncomingMessage[]; close: () => Promise<void> }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    res.on('error', () => {});
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SECRET = 'sk-amk-hostile-0123456789abcdef';
let kernel: Kernel;
let dir: ReturnType<typeof tempDir>;
const events: KernelEvent[] = [];
const closers: (() => Promise<void>)[] = [];
const call = (method: string, params: unknown) => handleKernelRequest(kernel, method as never, params as never);

beforeAll(async () => {
  process.env.HOSTILE_CORE_TOKEN_FOR_TEST = SECRET;
  dir = tempDir();
  // Short limits so a slow engine is given up on quickly; the assertions never time anything.
  kernel = await bootTestKernel(dir.path, { slots: 1, coreProbeIntervalMs: 60_000, coreLimits: { requestMs: 500, idleMs: 500, maxBodyBytes: 64 * 1024 } });
  kernel.bus.on((event) => events.push(event));
}, 120_000);

afterAll(async () => {
  await kernel?.dispose();
  for (const close of closers) await close();
  dir?.dispose();
  delete process.env.HOSTILE_CORE_TOKEN_FOR_TEST;
});

/** The kernel answers a valid request after the attack: the core list, and an agent that runs to its end on the local core. */
async function stillServes(): Promise<void> {
  const listed = (await call('cores.list', {})) as CoreInfo[];
  expect(listed[0]).toMatchObject({ name: 'local', health: 'up' });
}

async function addHostile(name: string, handler: Parameters<typeof engine>[0], extra: object = {}): Promise<CoreInfo> {
  const fake = await engine(handler);
  closers.push(fake.close);
  return (await call('cores.add', { name, kind: 'llama-server', url: fake.url, ...extra })) as CoreInfo;
}

describe('a hostile core is refused at the boundary', () => {
  it('garbage instead of JSON: the core is down with the reason', async () => {
    const core = await addHostile('garbage', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('\u0000<html>not json{{{'));
    expect(core.health).toBe('down');
    expect(core.reason).toMatch(/not JSON/);
    await stillServes();
  });

  it('a huge body: refused while reading, before it is held', async () => {
    let written = 0;
    const core = await addHostile('huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x5b);
      const pump = (): void => {
        // Up to 64 MiB; the kernel hangs up long before.
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    expect(core.health).toBe('down');
    expect(core.reason).toMatch(/more than 65536 bytes/);
    await stillServes();
  });

  it('a slow body: given up on at the request limit', async () => {
    const core = await addHostile('slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
      // …and nothing more, ever.
    });
    expect(core.health).toBe('down');
    expect(core.reason).toMatch(/did not answer within 500 ms/);
    await stillServes();
  });

  it('a lying /props (the loaded model\'s name, another tokenizer): not used, and agents run elsewhere', async () => {
    const model = kernel.info().model!;
    const core = await addHostile('liar', (req, res) => {
      const json = (value: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/health') return json({ status: 'ok' });
      if (req.url === '/props') return json({ total_slots: 4, model_path: `/models/${model.name}`, default_generation_settings: { n_ctx: model.contextSize } });
      if (req.url === '/tokenize') return json({ tokens: [1, 2, 3] });
      if (req.url?.startsWith('/slots/')) return void res.writeHead(501).end('{}');
      // A /completion here would be the lie believed.
      res.writeHead(500).end('{}');
    });
    expect(core.health).toBe('down');
    expect(core.reason).toMatch(/does not tokenize like the loaded model/);
    const { pid } = kernel.spawn('storyteller', 'a fox');
    const done = await kernel.wait(pid, 120_000);
    expect(done.core).toBe('local');
  }, 180_000);

  it('a credential never leaves the request: not in errors, events, journal, audit, settings or the core list', async () => {
    const fake = await engine((req, res) => {
      // A hostile engine echoes the Authorization header back in every answer.
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`bad token: ${req.headers.authorization ?? ''}`);
    });
    closers.push(fake.close);
    const core = (await call('cores.add', { name: 'secret', kind: 'openai', url: fake.url, tokenEnv: 'HOSTILE_CORE_TOKEN_FOR_TEST' })) as CoreInfo;
    // It was sent, as a bearer token, to the engine only.
    expect(fake.seen.some((req) => req.headers.authorization === `Bearer ${SECRET}`)).toBe(true);
    expect(core.health).toBe('down');
    expect(core.reason).toMatch(/\[token\]/);
    expect(core.tokenEnv).toBe('HOSTILE_CORE_TOKEN_FOR_TEST');
    // A URL that carries credentials itself is refused with the way to pass one.
    await expect(call('cores.add', { name: 'inline', kind: 'openai', url: `http://user:${SECRET}@127.0.0.1:9/` })).rejects.toThrow(/--token-env/);
    const everything = [
      JSON.stringify(events),
      JSON.stringify(await call('cores.list', {})),
      JSON.stringify(kernel.info()),
      ...filesUnder(dir.path).map((file) => readFileSync(file, 'latin1')),
    ];
    for (const text of everything) expect(text.includes(SECRET)).toBe(false);
    await stillServes();
  });
});

describe('cores.add refuses what a core cannot be, and an engine cannot reach past its answers', () => {
  it('a token with a newline (header injection): the core is unusable with the reason, nothing is sent, nothing crashes later', async () => {
    process.env.HOSTILE_CORE_NEWLINE_TOKEN = 'sk-ok\r\nX-Injected: 1';
    const fake = await engine((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    closers.push(fake.close);
    try {
      const core = (await call('cores.add', { name: 'newline', kind: 'openai', url: fake.url, tokenEnv: 'HOSTILE_CORE_NEWLINE_TOKEN' })) as CoreInfo;
      expect(core).toMatchObject({ health: 'down' });
      expect(core.reason).toMatch(/characters a bearer token cannot have/);
      expect(core.reason).not.toContain('X-Injected');
      expect(fake.seen).toHaveLength(0);
    } finally {
      delete process.env.HOSTILE_CORE_NEWLINE_TOKEN;
    }
    await call('cores.remove', { name: 'newline' });
    // What the old code left behind (a timer over a half-made request) would fire within the request limit: an honest round trip outlasts it.
    await addHostile('after-newline', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('not json'));
    await stillServes();
  });

  it('link-local and metadata addresses, and the kernel\'s own AMK_ variables as a token, are refused with the reason', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fe80::1]:8080', 'http://[::ffff:169.254.169.254]/', 'http://0.0.0.0:8080']) {
      await expect(call('cores.add', { name: 'metadata', kind: 'openai', url })).rejects.toThrow(/link-local or cloud metadata address/);
    }
    await expect(call('cores.add', { name: 'admin', kind: 'openai', url: 'http://127.0.0.1:9', tokenEnv: 'AMK_TOKEN' })).rejects.toThrow(/AMK_/);
    await expect(call('cores.add', { name: 'admin', kind: 'openai', url: 'http://127.0.0.1:9', tokenEnv: 'amk_token' })).rejects.toThrow(/AMK_/);
    // A name (resolved at each request) still reaches a core on loopback.
    const byName = await engine((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('not json'));
    closers.push(byName.close);
    const core = (await call('cores.add', { name: 'by-name', kind: 'llama-server', url: byName.url.replace('127.0.0.1', 'localhost') })) as CoreInfo;
    expect(core.reason).toMatch(/not JSON/);
    const listed = ((await call('cores.list', {})) as CoreInfo[]).map((entry) => entry.name);
    expect(listed).not.toContain('metadata');
    expect(listed).not.toContain('admin');
    await stillServes();
  });

  it('terminal escapes in an engine\'s model name or error text never reach the core list', async () => {
    const escape = '\u001b]52;c;Y3VybCBldmlsIHwgc2g=\u0007\u001b[2J';
    const core = await addHostile('escapes', (req, res) => {
      const json = (value: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/health') return json({ status: 'ok' });
      if (req.url === '/props') return json({ total_slots: 1, model_path: `/models/evil${escape}.gguf`, default_generation_settings: { n_ctx: 4096 } });
      res.writeHead(500).end(`boom${escape}`);
    });
    const again = await addHostile('escapes-5xx', (_req, res) => res.writeHead(500).end(`boom${escape}`));
    for (const info of [core, again, ...((await call('cores.list', {})) as CoreInfo[])]) {
      expect(JSON.stringify(info)).not.toMatch(/\\u001b|\\u0007/);
    }
    expect(core.model).toContain('evil');
    expect(again.reason).toContain('boom');
    await stillServes();
  });

  it('a core removed and added again while its first probe still runs: the new one is probed for its own answer', async () => {
    // The first engine never answers; the kernel gives up on it after its retries.
    const silent = await engine(() => {});
    closers.push(silent.close);
    const first = call('cores.add', { name: 'reused', kind: 'llama-server', url: silent.url });
    await call('cores.remove', { name: 'reused' });
    const second = await addHostile('reused', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('not json'));
    expect(second.health).toBe('down');
    expect(second.reason).toMatch(/not JSON/);
    expect(((await first) as CoreInfo).reason).toBe('removed');
    // The first one's late failure did not touch its successor.
    expect(((await call('cores.list', {})) as CoreInfo[]).find((entry) => entry.name === 'reused')!.reason).toMatch(/not JSON/);
    await stillServes();
  });

  it('bad config.json cores entries (a credential in a URL, a metadata address, a wrong shape, a duplicate) are skipped at boot with a warning; the rest load and nothing is lost', async () => {
    const other = tempDir();
    const good = await engine((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('not json'));
    closers.push(good.close);
    const cores = [
      { name: 'good', kind: 'llama-server', url: good.url },
      { name: 'inline', kind: 'openai', url: `http://user:${SECRET}@127.0.0.1:9/` },
      { name: 'metadata', kind: 'openai', url: 'http://169.254.169.254/' },
      { name: 'shape', kind: 'vllm', url: good.url },
      { name: 'good', kind: 'openai', url: good.url },
    ];
    writeFileSync(join(other.path, 'config.json'), JSON.stringify({ cores }));
    const booted = await bootTestKernel(other.path, { slots: 1, coreProbeIntervalMs: 60_000, coreLimits: { requestMs: 500, idleMs: 500, maxBodyBytes: 64 * 1024 } });
    try {
      const listed = (await handleKernelRequest(booted, 'cores.list', {})) as CoreInfo[];
      expect(listed.map((core) => core.name)).toEqual(['local', 'good']);
      const warnings = booted.info().warnings.filter((text) => text.includes('cores entry'));
      expect(warnings.map((text) => /entry (\d+)/.exec(text)![1]).sort()).toEqual(['1', '2', '3', '4']);
      expect(warnings.join('\n')).not.toContain(SECRET);
      // The next write keeps the skipped entries as the user wrote them.
      await handleKernelRequest(booted, 'cores.remove', { name: 'good' });
      const saved = JSON.parse(readFileSync(join(other.path, 'config.json'), 'utf8')) as { cores: unknown[] };
      expect(saved.cores).toEqual(cores.slice(1));
    } finally {
      await booted.dispose();
      other.dispose();
    }
    await stillServes();
  });

  it('a bad cores entry in config.json is reported by its place, never echoed (a URL may carry a credential; the list may be huge)', () => {
    const settings = tempDir();
    try {
      const cores = [
        ...Array.from({ length: 20 }, (_, index) => ({ name: `c${index}`, kind: 'openai', url: `http://10.0.0.${index}:8080` })),
        { name: 'typo', kind: 'openai', url: `http://user:${SECRET}@10.0.0.99/`, tokenenv: 'X' },
      ];
      writeFileSync(join(settings.path, 'config.json'), JSON.stringify({ cores }));
      let message = '';
      try {
        resolveKernelConfig({ dataDir: settings.path }, {});
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/cores in config\.json must be .*entry 20/);
      expect(message).not.toContain(SECRET);
      expect(message.length).toBeLessThan(600);
    } finally {
      settings.dispose();
    }
  });
});

function filesUnder(root: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) files.push(...filesUnder(path));
    else if (statSync(path).size < 64 * 1024 * 1024) files.push(path);
  }
  return files;
}
