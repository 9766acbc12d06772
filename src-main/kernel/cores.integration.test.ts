import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreInfo, KernelEvent, ProcessInfo } from '../../src-shared/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { requireLlamaServer, startMachine, type TestMachine } from '../test-support/llama-server-cores.js';
import { startKernelServer } from '../server/index.js';
import { runCliInProcess as amk } from '../test-support/cli-in-process.js';
import { DEFAULT_SCHEDULER, handleKernelRequest, type Kernel } from './index.js';

/** A calculator agent with a few steps, each long enough to be mid-generation when a core dies. */
const worker = (id: string) => ({
  id,
  name: id,
  description: 'computes',
  systemPrompt: 'You compute things with the calculator.',
  kind: 'background',
  priority: { class: 'background', nice: 0 },
  tools: ['calculator'],
  model: { maxSteps: 3, maxTokensPerStep: 120, maxAnswerChars: 200 },
});

let kernel: Kernel;
let dir: ReturnType<typeof tempDir>;
let a: TestMachine;
let b: TestMachine;
let again: TestMachine;
const events: KernelEvent[] = [];
const machines: TestMachine[] = [];

const call = (method: string, params: unknown) => handleKernelRequest(kernel, method as never, params as never);
const cores = async (): Promise<CoreInfo[]> => (await call('cores.list', {})) as CoreInfo[];

/** The next event matching `test`, from now on; `then` runs inside the listener, before the kernel goes on. */
function nextEvent(test: (event: KernelEvent) => boolean, then?: (event: KernelEvent) => void): Promise<KernelEvent> {
  return new Promise((resolve) => {
    const stop = kernel.bus.on((event) => {
      if (!test(event)) return;
      stop();
      then?.(event);
      resolve(event);
    });
  });
}

/** A token streamed by one of `pids` running on `core`: generation is under way there. */
const generatingOn = (core: string, pids: number[]) => (event: KernelEvent) =>
  event.type === 'proc.output' && pids.includes(event.pid) && kernel.listProcesses().find((info) => info.pid === event.pid)?.core === core;

/** Committed steps of a process, in order: each a proc.step or proc.step-rejected, numbered 1, 2, 3… */
function committedSteps(pid: number): number[] {
  return events.filter((e) => (e.type === 'proc.step' || e.type === 'proc.step-rejected') && e.pid === pid).map((e) => (e as { step: number }).step);
}

beforeAll(async () => {
  requireLlamaServer();
  dir = tempDir();
  // The local model tokenizes and builds prompts; every token comes from the two machines.
  // The working set is sized from the local slots; here the pool's four remote slots all take batch work.
  kernel = await bootTestKernel(dir.path, { slots: 1, localCore: false, coreProbeIntervalMs: 250, scheduler: { ...DEFAULT_SCHEDULER, workingSet: 'unlimited' } });
  kernel.bus.on((event) => events.push(event));
  const slotContext = kernel.info().model!.contextSize;
  [a, b] = await Promise.all([startMachine(slotContext), startMachine(slotContext)]);
  machines.push(a, b);
}, 300_000);

afterAll(async () => {
  await kernel?.dispose();
  for (const machine of machines) await machine.dispose();
  dir?.dispose();
});

describe('llama-server machines as cores', () => {
  it('adds two llama-server cores, persisted without any credential, with what each can do', async () => {
    for (const [name, machine] of [['a', a], ['b', b]] as const) {
      const info = (await call('cores.add', { name, kind: 'llama-server', url: machine.url })) as CoreInfo;
      expect(info).toMatchObject({ name, kind: 'llama-server', health: 'up', slots: 2, capabilities: { kvSaveRestore: true, slotPinning: true, grammar: true } });
    }
    const listed = await cores();
    expect(listed.map((core) => core.name)).toEqual(['local', 'a', 'b']);
    expect(listed[0]).toMatchObject({ kind: 'local', slots: 0 });
    const saved = JSON.parse(readFileSync(join(dir.path, 'config.json'), 'utf8')) as { cores: unknown[] };
    expect(saved.cores).toEqual([
      { name: 'a', kind: 'llama-server', url: a.url },
      { name: 'b', kind: 'llama-server', url: b.url },
    ]);
  });

  it('kill -9 of a machine mid-generation: every agent finishes on the other, no step lost or duplicated', async () => {
    const pids = ['w1', 'w2', 'w3', 'w4'].map((id, index) => kernel.spawn(worker(id), `Compute ${17 + index} * 23 and then 5 + ${index}.`).pid);
    const down = nextEvent((event) => event.type === 'core.changed' && event.core.name === 'a' && event.core.health === 'down');
    // SIGKILL is sent inside the listener of the token's event: the step is still being generated on a.
    const onA = await nextEvent(generatingOn('a', pids), () => void a.server.killNow());
    const victim = (onA as { pid: number }).pid;
    expect(((await down) as { core: CoreInfo }).core.reason).toBeTruthy();
    const finished: ProcessInfo[] = await Promise.all(pids.map((pid) => kernel.wait(pid, 240_000)));
    for (const info of finished) {
      expect(info.state, `process ${info.pid}: ${info.exit?.reason}`).toBe('exited');
      expect([0, 2]).toContain(info.exit!.code);
      const steps = committedSteps(info.pid);
      expect(steps).toEqual(steps.map((_, index) => index + 1));
      expect(steps.length).toBe(info.counters.steps);
      // Each step's tool ran once: a regenerated step is never committed twice.
      const calls = kernel.transcript(info.pid).filter((entry) => entry.kind === 'tool-call').map((entry) => (entry as { step: number }).step);
      expect(new Set(calls).size).toBe(calls.length);
    }
    // The one cut short on a was generated again, on b, and says why in its transcript.
    expect(finished.find((info) => info.pid === victim)!.core).toBe('b');
    const aFault = new RegExp(`core a is down|127\\.0\\.0\\.1:${a.port}/`);
    expect(events.some((e) => e.type === 'proc.step-interrupted' && e.pid === victim && aFault.test(e.reason))).toBe(true);
    expect(kernel.transcript(victim).some((entry) => entry.kind === 'interrupted')).toBe(true);
    expect((await cores()).find((core) => core.name === 'a')!.health).toBe('down');
    // Four agents on b's two slots: KV state went out to b's slot-save path and came back from it.
    expect(events.some((e) => e.type === 'sched.swap' && e.direction === 'out' && e.ok)).toBe(true);
    expect(events.some((e) => e.type === 'sched.swap' && e.direction === 'in' && e.ok)).toBe(true);
    expect(readdirSync(b.saveDir).some((name) => /^amk-[a-f0-9]+\.bin$/.test(name))).toBe(true);
  }, 300_000);

  it('a machine that comes back at its address is used again', async () => {
    const up = nextEvent((event) => event.type === 'core.changed' && event.core.name === 'a' && event.core.health === 'up');
    again = await startMachine(kernel.info().model!.contextSize, { port: a.port, saveDir: a.saveDir });
    machines.push(again);
    await up;
    const pids = ['r1', 'r2', 'r3', 'r4'].map((id, index) => kernel.spawn(worker(id), `Compute ${3 + index} + 4.`).pid);
    await nextEvent((event) => event.type === 'proc.state' && pids.includes(event.pid) && event.core === 'a');
    for (const info of await Promise.all(pids.map((pid) => kernel.wait(pid, 240_000)))) expect(info.state).toBe('exited');
  }, 300_000);

  it('suspend closes the remote request at once (the slice ends suspended, not at the step end); resume goes on', async () => {
    const { pid } = kernel.spawn(worker('pause'), 'Compute 8 * 9.');
    const sliceEnd = nextEvent((event) => event.type === 'sched.slice' && event.pid === pid);
    const generating = (event: KernelEvent): boolean => event.type === 'proc.output' && event.pid === pid;
    await nextEvent(generating, () => kernel.suspend(pid));
    expect(((await sliceEnd) as { endedBy: string }).endedBy).toBe('suspended');
    await kernel.resume(pid);
    const done = await kernel.wait(pid, 240_000);
    expect(done.state).toBe('exited');
    const steps = committedSteps(pid);
    expect(steps).toEqual(steps.map((_, index) => index + 1));
  }, 300_000);

  it('an OpenAI-compatible core (llama-server /v1/chat/completions), managed with amk cores, runs an agent and says what it cannot do', async () => {
    const server = await startKernelServer({ kernel, port: 0, rendererDir: dir.path, log: () => {} });
    try {
      const remote = ['--url', server.url, '--token', server.token];
      expect((await amk(['cores', 'remove', 'a', ...remote])).code).toBe(0);
      expect((await amk(['cores', 'remove', 'b', ...remote])).code).toBe(0);
      const added = await amk(['cores', 'add', 'oa', `${b.url}/`, '--kind', 'openai', ...remote]);
      expect(added.code, added.stdout).toBe(0);
      const info = (await cores()).find((core) => core.name === 'oa')!;
      expect(info).toMatchObject({ kind: 'openai', health: 'up', url: b.url, capabilities: { kvSaveRestore: false, slotPinning: false } });
      const listed = (await amk(['cores', 'list', ...remote])).stdout;
      expect(listed).toMatch(/oa\s+openai\s+up\s/);
      expect(listed).toContain('no KV save/restore (re-prefills), no slot pinning');
      const { pid } = kernel.spawn(worker('chat'), 'Compute 6 * 7.');
      const done = await kernel.wait(pid, 240_000);
      expect(done.state, done.exit?.reason).toBe('exited');
      expect(done.core).toBe('oa');
      expect(events.some((e) => e.type === 'proc.output' && e.pid === pid)).toBe(true);
      const ps = (await amk(['ps', '--all', ...remote])).stdout;
      expect(ps.split('\n')[0]).toMatch(/SLOT\s+CORE/);
      expect(ps.split('\n').some((line) => line.startsWith(`${pid} `) && / oa /.test(line))).toBe(true);
    } finally {
      await server.close();
    }
  }, 300_000);

  it('with every core gone, a running agent is suspended with the reason; removing the local core is refused', async () => {
    await expect(call('cores.remove', { name: 'local' })).rejects.toThrow(/cannot be removed/);
    await call('cores.remove', { name: 'oa' });
    expect((await call('cores.add', { name: 'c', kind: 'llama-server', url: again.url })) as CoreInfo).toMatchObject({ health: 'up' });
    const { pid } = kernel.spawn(worker('orphan'), 'Compute 1 + 1.');
    const suspended = nextEvent((event) => event.type === 'proc.state' && event.pid === pid && event.state === 'suspended');
    await nextEvent(generatingOn('c', [pid]), () => void again.server.killNow());
    expect(((await suspended) as { reason?: string }).reason).toMatch(/no other core serves the model/);
    kernel.kill(pid);
    expect((await kernel.wait(pid, 60_000)).state).toBe('exited');
  }, 300_000);

  it('remote cores come back from config.json at boot', async () => {
    await kernel.dispose();
    kernel = await bootTestKernel(dir.path, { slots: 1, localCore: false, coreProbeIntervalMs: 250 });
    const c = (await cores()).find((core) => core.name === 'c');
    expect(c).toMatchObject({ kind: 'llama-server', url: again.url });
  }, 120_000);
});
