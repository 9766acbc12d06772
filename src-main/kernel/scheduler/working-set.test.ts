import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Priority, PriorityClass } from '../../../src-shared/index.js';
import type { KernelEvent } from '../../../src-shared/index.js';
import { bootTestKernel, tempDir, testModelPath } from '../../test-support/fixtures.js';
import { loadLlamaBackend } from '../llm/index.js';
import { KvSwapper } from './kv-swap.js';
import { fairSharePolicy } from './scheduling-policy.js';
import { SlotScheduler, type Lease } from './slot-scheduler.js';
import { WorkingSet, workingSetLimit } from './working-set.js';

const priority = (priorityClass: PriorityClass): Priority => ({ class: priorityClass, nice: 0 });
const BACKGROUND = priority('background');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('working-set limit', () => {
  it('holds the slots plus as many swapped-out states as the swap budget does (twice the slots by default)', () => {
    expect(workingSetLimit({ slots: 4, kvBytesPerSlot: 1_000_000 })).toBe(8);
    expect(workingSetLimit({ slots: 4, kvBytesPerSlot: 1_000_000, swapBudgetBytes: 0 })).toBe(4);
    expect(workingSetLimit({ slots: 4, kvBytesPerSlot: 1_000_000, swapBudgetBytes: 2_500_000 })).toBe(6);
    expect(workingSetLimit({ slots: 2, kvBytesPerSlot: 0 })).toBe(4);
    expect(() => new WorkingSet(0)).toThrow(/at least one/);
  });
});

describe('working set', () => {
  it('admits batch processes up to its limit and the rest in arrival order as members leave', () => {
    const admitted: number[] = [];
    const set = new WorkingSet(2, { onAdmit: (pids) => admitted.push(...pids) });
    cleanups.push(() => set.dispose());
    expect([1, 2, 3, 4, 5].map((pid) => set.request(pid, BACKGROUND))).toEqual([true, true, false, false, false]);
    expect(set.mayRun(3, BACKGROUND)).toBe(false);
    expect(set.stats()).toEqual({ limit: 2, members: 2, queued: 3 });
    set.leave(2);
    set.leave(4); // left the line (killed while waiting): never admitted
    set.leave(1);
    expect(admitted).toEqual([3, 5]);
    expect(set.mayRun(5, BACKGROUND)).toBe(true);
    // A newcomer waits behind nobody once the line is empty and a seat is free.
    set.leave(3);
    expect(set.request(6, BACKGROUND)).toBe(true);
  });

  it('never holds back interactive or realtime work, however full', () => {
    const set = new WorkingSet(1);
    cleanups.push(() => set.dispose());
    expect(set.request(1, BACKGROUND)).toBe(true);
    expect(set.request(2, priority('normal'))).toBe(false);
    expect(set.request(3, priority('interactive'))).toBe(true);
    expect(set.request(4, priority('realtime'))).toBe(true);
    expect(set.stats()).toEqual({ limit: 1, members: 1, queued: 1 });
  });

  it('gives an idle member’s seat to the first in line, and the member queues again behind it', async () => {
    const admissions: number[][] = [];
    let admitted: (pids: readonly number[]) => void = () => undefined;
    const next = () => new Promise<readonly number[]>((resolve) => (admitted = resolve));
    const set = new WorkingSet(1, { idleDemoteMs: 0, onAdmit: (pids) => (admissions.push([...pids]), admitted(pids)) });
    cleanups.push(() => set.dispose());
    expect(set.request(1, BACKGROUND)).toBe(true);
    expect(set.request(2, BACKGROUND)).toBe(false);
    const seat = next();
    set.rest(1); // blocked on a mailbox, say
    expect(await seat).toEqual([2]);
    expect(set.request(1, BACKGROUND)).toBe(false);
    expect(admissions).toEqual([[2]]);
  });
});

describe('slot scheduler with a working set (real model slots)', () => {
  async function scheduler(workingSet: number): Promise<SlotScheduler> {
    const dir = mkdtempSync(join(tmpdir(), 'amk-ws-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const llm = await loadLlamaBackend({ modelPath: testModelPath(), gpu: 'cpu', threads: 1, contextSize: 256, slots: 1 });
    cleanups.push(() => llm.dispose());
    const swapper = new KvSwapper('disk', dir, { modelSha256: llm.info.sha256, kvType: llm.info.kvType, contextSize: llm.info.contextSize, sequences: 1 });
    const sched = new SlotScheduler(llm.slots, fairSharePolicy(), swapper, () => undefined, workingSet);
    cleanups.push(() => sched.dispose());
    return sched;
  }
  const ask = (sched: SlotScheduler, pid: number, p: Priority) => {
    const state: { lease: Lease | null } = { lease: null };
    const granted = sched.acquire({ pid, priority: p, signal: new AbortController().signal }).then((lease) => (state.lease = lease));
    return { state, granted };
  };

  it('keeps a second background process waiting until the first exits, while an interactive one preempts', async () => {
    const sched = await scheduler(1);
    const first = ask(sched, 1, BACKGROUND);
    const firstLease = await first.granted;
    const second = ask(sched, 2, BACKGROUND);
    const user = ask(sched, 3, priority('interactive'));
    // The interactive request outranks the running member and is waiting on its preemption; the second background process is in line.
    expect(firstLease.preemptedBy).toBe(3);
    expect(firstLease.shouldYield()).toBe(true);
    firstLease.release('preempted');
    (await user.granted).release('step-end');
    // The member gets the slot back; the one in line still waits, though the slot was free between them.
    const again = await ask(sched, 1, BACKGROUND).granted;
    expect(second.state.lease).toBeNull();
    expect(sched.workingSetStats).toEqual({ limit: 1, members: 1, queued: 1 });
    again.release('step-end');
    await sched.forget(1);
    const secondLease = await second.granted;
    expect(secondLease.pid).toBe(2);
    expect(sched.workingSetStats).toEqual({ limit: 1, members: 1, queued: 0 });
    secondLease.release('step-end');
  });
});

describe('the kernel’s working-set setting', () => {
  const job = (id: string) => ({
    id,
    name: id,
    description: 'computes',
    systemPrompt: 'You compute things with the calculator.',
    kind: 'background',
    tools: ['calculator'],
    model: { maxSteps: 2, maxTokensPerStep: 24, maxAnswerChars: 40 },
  });

  it('runs background agents one set at a time: no slice of the second before the first exits', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const kernel = await bootTestKernel(dir.path, { slots: 2, scheduler: { policy: 'fair-share', quantumTokens: 8, swap: 'ram', workingSet: 1 } });
    cleanups.push(() => kernel.dispose());
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const first = kernel.spawn(job('first'), 'Compute 17 * 23.').pid;
    const second = kernel.spawn(job('second'), 'Compute 99 - 42.').pid;
    await Promise.all([kernel.wait(first, 60_000), kernel.wait(second, 60_000)]);
    const firstExit = events.findIndex((e) => e.type === 'proc.exited' && e.pid === first);
    const secondSlices = events.flatMap((e, i) => (e.type === 'sched.slice' && e.pid === second ? [i] : []));
    expect(firstExit).toBeGreaterThanOrEqual(0);
    expect(secondSlices.length).toBeGreaterThan(0);
    expect(Math.min(...secondSlices)).toBeGreaterThan(firstExit);
  });
});
