/**
 * The interrupt workload through llama.cpp's own server: every slot busy with background
 * generations (each background client asks for its next step as soon as the last one ends, as the
 * kernel's busy agents do), and an urgent request (the webhook handler's prompt and step grammar)
 * arriving meanwhile. llama-server has no preemption: the request waits for a slot to finish its
 * current generation (FCFS). The clock runs from sending it to its first streamed token.
 */
import { AgentManifest, type ToolManifest } from '../../src-shared/index.js';
import { describeTools, stepSchema } from '../../src-main/kernel/runtime/step-protocol.js';
import { sleep } from '../bench-support.js';
import { findLlamaServer, LlamaServer, PEER_MISSING } from './llama-server.js';
import { Agent, isFinal, stepGrammar } from './scheduler-peer.js';

export interface InterruptWorkload {
  slots: number;
  threads: number;
  slotContext: number;
  /** The background agents' and the handler's manifests (the kernel's, unchanged). */
  busy: unknown;
  handler: unknown;
  busyTask: (index: number) => string;
  /** The handler's task as the kernel gave it for event `i` (its interrupt.raised detail). */
  handlerTask: (event: number) => string;
  tools: readonly ToolManifest[];
  /** The pause before each event (the same pauses the kernel side uses). */
  gapsMs: readonly number[];
}

/** Event-to-first-token latencies, one per event, or why the peer was skipped. */
export async function interruptLatenciesOnLlamaServer(modelPath: string, work: InterruptWorkload): Promise<{ latencies: number[]; commit: string } | { skipped: string }> {
  const peer = findLlamaServer();
  if (!peer) return { skipped: PEER_MISSING };
  const busy = AgentManifest.parse(work.busy);
  const handler = AgentManifest.parse(work.handler);
  const busyTools = work.tools.filter((tool) => busy.tools.includes(tool.name));
  const busyGrammar = await stepGrammar(stepSchema(busy, busyTools));
  const handlerGrammar = await stepGrammar(stepSchema(handler, []));
  const server = await LlamaServer.start(peer, { modelPath, slots: work.slots, threads: work.threads, slotContext: work.slotContext });
  let stopped = false;
  try {
    const background = async (index: number): Promise<void> => {
      // A fresh transcript when one ends (a final answer, or the window filling), so the slots never fall idle.
      for (let round = 0; !stopped; round++) {
        const agent = new Agent(`${busy.systemPrompt}\n\n${describeTools(busyTools)}`, work.busyTask(index + round * work.slots));
        for (let step = 1; step <= 8 && !stopped; step++) {
          const result = await server.complete({ prompt: agent.prompt(step), nPredict: busy.model.maxTokensPerStep, grammar: busyGrammar, temperature: busy.model.temperature });
          if (isFinal(result.content)) break;
          agent.record(step, result.content);
        }
      }
    };
    const jobs = Promise.all(Array.from({ length: work.slots }, (_, i) => background(i)));
    // Marked handled at once: a failure is rethrown by the await below, not reported as unhandled first.
    jobs.catch(() => undefined);
    const latencies: number[] = [];
    for (const [event, gap] of work.gapsMs.entries()) {
      await sleep(gap);
      const agent = new Agent(`${handler.systemPrompt}\n\n${describeTools([])}`, work.handlerTask(event));
      const result = await server.complete({ prompt: agent.prompt(1), nPredict: handler.model.maxTokensPerStep, grammar: handlerGrammar, temperature: handler.model.temperature });
      latencies.push(result.firstTokenMs);
    }
    stopped = true;
    await jobs;
    return { latencies, commit: peer.commit };
  } finally {
    stopped = true;
    await server.stop();
  }
}
