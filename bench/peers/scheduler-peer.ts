/**
 * The scheduler benchmark's workload driven through llama.cpp's own server: the same model, prompts,
 * step grammar (the kernel's GBNF, compiled the way the kernel compiles it), slots and threads.
 * Background jobs saturate the slots; interactive requests arrive meanwhile and queue FCFS behind
 * them, as they do for users who share one model through `llama-server --parallel N` today.
 */
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { AgentManifest, type ToolManifest } from '../../src-shared/index.js';
import { compactJsonGrammar } from '../../src-main/kernel/llm/llama-backend.js';
import { defaultThreadCount } from '../../src-main/kernel/llm/threads.js';
import { describeTools, stepSchema } from '../../src-main/kernel/runtime/step-protocol.js';
import { sleep, workloadFigures, type BenchOptions } from '../bench-support.js';
import { findLlamaServer, LlamaServer, PEER_MISSING } from './llama-server.js';

export interface PeerWorkload {
  interactiveUsers: number;
  requestsPerUser: number;
  requestIntervalMs: number;
  backgroundAgents: number;
  backgroundSteps: number;
  slots: number;
  /** Per-slot context, as the kernel's contextSize. */
  slotContext: number;
  background: unknown;
  interactive: unknown;
  backgroundTask: (job: number) => string;
  interactiveTask: (user: number, round: number) => string;
  /** The tools the kernel lists (the step grammar names them). */
  tools: readonly ToolManifest[];
}

/**
 * The kernel's GBNF for one step, as LlamaBackend.compileGrammar builds it, less node-llama-cpp's
 * trailing newlines after the closing brace: the kernel ends a step at the brace (isCompleteJson),
 * and a grammar that ends there leaves llama-server only end-of-sequence to sample, so it stops
 * there too instead of emitting newlines until n_predict.
 */
export async function stepGrammar(schema: object): Promise<string> {
  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never', progressLogs: false });
  const pretty = await llama.createGrammarForJsonSchema(schema as never);
  const trailing = ' "\\n\\n\\n\\n" [\\n]*';
  const lines = compactJsonGrammar(pretty.grammar).split('\n');
  const root = lines.findIndex((line) => line.startsWith('root ::= ') && line.endsWith(trailing));
  // Fail rather than measure a peer that pads every step with newlines (node-llama-cpp changed its grammar).
  if (root < 0) throw new Error(`the step grammar's root rule no longer ends with${trailing}: update bench/peers/scheduler-peer.ts`);
  lines[root] = lines[root]!.slice(0, -trailing.length);
  return lines.join('\n');
}

/** The kernel ends a job at its final answer; the step grammar makes every output one JSON object. */
export function isFinal(text: string): boolean {
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'final';
  } catch {
    return false;
  }
}

/** One agent as the kernel prompts a model without a chat template: system, task, then the steps. */
export class Agent {
  private transcript: string;
  constructor(system: string, task: string) {
    this.transcript = `${system}\n\nTask: ${task}\n`;
  }
  prompt(step: number): string {
    return `${this.transcript}Step ${step}:`;
  }
  record(step: number, action: string): void {
    // The peer has no tool runtime: a tool call's result is a fixed line, so later prompts grow as the kernel's do.
    this.transcript += `Step ${step}:${action}\nResult ${step}: (tool result)\n`;
  }
}

export async function measureLlamaServer(options: BenchOptions, work: PeerWorkload): Promise<Record<string, unknown>> {
  const peer = findLlamaServer();
  if (!peer) return { skipped: PEER_MISSING };
  const background = AgentManifest.parse(work.background);
  const interactive = AgentManifest.parse(work.interactive);
  const bgTools = work.tools.filter((tool) => background.tools.includes(tool.name));
  const bgGrammar = await stepGrammar(stepSchema(background, bgTools));
  const answerGrammar = await stepGrammar(stepSchema(interactive, []));
  const threads = options.threads ?? defaultThreadCount();
  const server = await LlamaServer.start(peer, { modelPath: options.modelPath, slots: work.slots, threads, slotContext: work.slotContext });
  try {
    const started = performance.now();
    let tokens = 0;
    const job = async (index: number): Promise<void> => {
      const agent = new Agent(`${background.systemPrompt}\n\n${describeTools(bgTools)}`, work.backgroundTask(index));
      for (let step = 1; step <= background.model.maxSteps; step++) {
        const result = await server.complete({ prompt: agent.prompt(step), nPredict: background.model.maxTokensPerStep, grammar: bgGrammar, temperature: background.model.temperature });
        tokens += result.tokensPredicted;
        if (isFinal(result.content)) return;
        agent.record(step, result.content);
      }
    };
    // Marked handled at once: a failure is rethrown by the awaits below, not reported as unhandled first.
    const jobs = Promise.all(Array.from({ length: work.backgroundAgents }, (_, i) => job(i)));
    jobs.catch(() => undefined);
    const requests: Promise<{ ttftMs: number; latencyMs: number }>[] = [];
    for (let round = 0; round < work.requestsPerUser; round++) {
      await sleep(work.requestIntervalMs);
      for (let user = 0; user < work.interactiveUsers; user++) {
        const agent = new Agent(`${interactive.systemPrompt}\n\n${describeTools([])}`, work.interactiveTask(user, round));
        const request = server.complete({ prompt: agent.prompt(1), nPredict: interactive.model.maxTokensPerStep, grammar: answerGrammar, temperature: interactive.model.temperature }).then((result) => {
            tokens += result.tokensPredicted;
            return { ttftMs: result.firstTokenMs, latencyMs: result.totalMs };
          });
        request.catch(() => undefined);
        requests.push(request);
      }
    }
    const answered = await Promise.all(requests);
    await jobs;
    const wallMs = performance.now() - started;
    return {
      binary: peer.binary,
      llama_cpp_commit: peer.commit,
      server_args: { parallel: work.slots, threads, ctx_size: work.slots * work.slotContext, kv_unified: false },
      ...workloadFigures(wallMs, tokens, answered),
    };
  } finally {
    await server.stop();
  }
}
