import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreInfo } from '../../src-shared/index.js';
import { DEFAULT_SCHEDULER, handleKernelRequest, type Kernel } from '../kernel/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { requireLlamaServer, startMachine, type TestMachine } from '../test-support/llama-server-cores.js';
import { expectNoUncaughtExceptions } from './no-uncaught.js';

expectNoUncaughtExceptions();

/**
 * A core that lies about what it generated: a proxy in front of a real llama-server that passes
 * every check (health, props, tokenizer) and every answer's text, but rewrites the token ids of
 * each streamed event to one far outside the vocabulary. The kernel must keep only tokens that
 * spell the checked text, so the agent's next prompts (on this core or any other) stay valid.
 */
const OUTSIDE_VOCABULARY = 99_999_999;

let kernel: Kernel;
let dir: ReturnType<typeof tempDir>;
let machine: TestMachine;
let proxy: Server;
/** Every prompt (token array) the proxy forwarded to the real server. */
const prompts: number[][] = [];

const call = (method: string, params: unknown) => handleKernelRequest(kernel, method as never, params as never);

function lie(line: string): string {
  if (!line.startsWith('data: ')) return line;
  try {
    const event = JSON.parse(line.slice(6)) as { tokens?: number[]; timings?: { prompt_n?: number } };
    if (Array.isArray(event.tokens)) event.tokens = event.tokens.map(() => OUTSIDE_VOCABULARY);
    // And a prompt it never evaluated: the agent's metered tokens must not take the engine's word.
    if (event.timings) event.timings.prompt_n = 1e15;
    return `data: ${JSON.stringify(event)}`;
  } catch {
    return line;
  }
}

beforeAll(async () => {
  requireLlamaServer();
  dir = tempDir();
  kernel = await bootTestKernel(dir.path, { slots: 1, localCore: false, coreProbeIntervalMs: 60_000, scheduler: { ...DEFAULT_SCHEDULER, workingSet: 'unlimited' } });
  machine = await startMachine(kernel.info().model!.contextSize, { slots: 2 });
  proxy = createServer((req, res) => {
    res.on('error', () => {});
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/completion') prompts.push((JSON.parse(body.toString('utf8')) as { prompt: number[] }).prompt);
      const upstream = request(`${machine.url}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(machine.url).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (req.url !== '/completion') return void answer.pipe(res);
        let buffer = '';
        answer.setEncoding('utf8');
        answer.on('data', (text: string) => {
          buffer += text;
          const lines = buffer.split('\n');
          buffer = lines.pop()!;
          res.write(lines.map(lie).join('\n') + (lines.length > 0 ? '\n' : ''));
        });
        answer.on('end', () => res.end(lie(buffer)));
        answer.on('error', () => res.destroy());
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
}, 300_000);

afterAll(async () => {
  await kernel?.dispose();
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await machine?.dispose();
  dir?.dispose();
});

describe('a core that lies about its token ids and its prompt counts', () => {
  it('ids outside the vocabulary never enter the agent\'s context, its slot files on the server have unpredictable names; it runs to its end and the next request is served', async () => {
    const info = (await call('cores.add', { name: 'liar', kind: 'llama-server', url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` })) as CoreInfo;
    expect(info, info.reason ?? '').toMatchObject({ health: 'up' });
    // A tool step first, so a second step's prompt carries the first step's tokens.
    const manifest = {
      id: 'lied-to',
      name: 'lied-to',
      description: 'computes',
      systemPrompt: 'You compute things with the calculator.',
      kind: 'background',
      priority: { class: 'background', nice: 0 },
      tools: ['calculator'],
      model: { maxSteps: 3, maxTokensPerStep: 120, maxAnswerChars: 200, toolSteps: 1 },
    };
    const { pid } = kernel.spawn(manifest as never, 'Compute 6 * 7.');
    const done = await kernel.wait(pid, 240_000);
    expect(done.state, done.exit?.reason).toBe('exited');
    expect([0, 2]).toContain(done.exit!.code);
    expect(done.counters.steps).toBeGreaterThanOrEqual(2);
    expect(prompts.length).toBeGreaterThanOrEqual(2);
    for (const prompt of prompts) expect(prompt).not.toContain(OUTSIDE_VOCABULARY);
    expect(done.counters.tokensIn).toBeLessThanOrEqual(prompts.reduce((sum, prompt) => sum + prompt.length, 0));
    // Its snapshots went to the server's slot-save path under names only the kernel key gives:
    // another client of the same server, knowing the data dir and the pid, cannot predict one to
    // restore (read) or overwrite it.
    const saved = readdirSync(machine.saveDir).filter((name) => /^amk-[a-f0-9]+\.bin$/.test(name));
    expect(saved.length).toBeGreaterThan(0);
    const predictable = `amk-${createHash('sha256').update(`liar\n${join(dir.path, 'snapshots', `pid-${pid}.kv.blob-${process.pid}`)}`).digest('hex').slice(0, 32)}.bin`;
    expect(saved).not.toContain(predictable);
    // The kernel still serves: the core list, and another agent to its end.
    expect(((await call('cores.list', {})) as CoreInfo[]).find((core) => core.name === 'liar')).toMatchObject({ health: 'up' });
    const next = kernel.spawn(manifest as never, 'Compute 2 + 2.');
    expect((await kernel.wait(next.pid, 240_000)).state).toBe('exited');
  }, 300_000);
});

