/**
 * The scheduler benchmark's workload driven through llama.cpp's own server: the same model, prompt
 * tokens (built by the kernel's PromptBuilder), closed-loop interactive users, step grammar (the
 * kernel's GBNF, compiled the way the kernel compiles it), slots and threads. Background jobs saturate the slots; interactive requests arrive meanwhile and queue FCFS behind
 * them, as they do for users who share one model through `llama-server --parallel N` today.
 */
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { AgentManifest, type ToolManifest } from '../../src-shared/index.js';
import { compactJsonGrammar, loadLlamaBackend } from '../../src-main/kernel/llm/llama-backend.js';
import { defaultThreadCount } from '../../src-main/kernel/llm/threads.js';
import { describeTools, stepSchema } from '../../src-main/kernel/runtime/step-protocol.js';
import type { LlmBackend, Token } from '../../src-main/kernel/llm/llm-backend.js';
import { PromptBuilder, type StepRecord } from '../../src-main/kernel/runtime/prompt-builder.js';
import { closedLoop, keepBusy, workloadFigures, type BenchOptions, type ClosedLoop } from '../bench-support.js';
import { findLlamaServer, LlamaServer, PEER_MISSING } from './llama-server.js';

export interface PeerWorkload {
  load: ClosedLoop;
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

/**
 * One agent prompted as the kernel prompts it: the kernel's own PromptBuilder over the kernel's own
 * backend (LlamaBackend.formatChat: the model's chat template where it has one, the plain
 * `Task:`/`Step N:` format where not), so the token ids sent to llama-server are the ones the
 * kernel's slot evaluates for the same step. The peer runs no tools: a tool step's result is a fixed
 * line, so later windows grow as the kernel's do (the first step's window is the same exactly).
 */
export class KernelPromptAgent {
  private readonly builder: PromptBuilder;
  private readonly steps: StepRecord[] = [];
  constructor(
    llm: LlmBackend,
    system: string,
    task: string,
    private readonly budget: number,
  ) {
    this.builder = new PromptBuilder(llm, system, task);
  }
  prompt(): Token[] {
    return this.builder.build({ steps: this.steps, firstResident: 0, leadingInputs: [], working: '', summary: '', recall: [] }, this.budget).tokens;
  }
  record(actionText: string, actionTokens: Token[]): void {
    this.steps.push({ step: this.steps.length + 1, actionText, actionTokens, resultText: '{"result":"(tool result)"}', inputs: [] });
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
  // The kernel's backend, for its tokenizer and chat template only: one slot, a small context, one thread.
  const llm = await loadLlamaBackend({ modelPath: options.modelPath, gpu: 'cpu', gpuLayers: 0, threads: 1, contextSize: 256, slots: 1 });
  const server = await LlamaServer.start(peer, { modelPath: options.modelPath, slots: work.slots, threads, slotContext: work.slotContext }).catch(async (error: unknown) => {
    await llm.dispose();
    throw error;
  });
  try {
    const started = performance.now();
    let tokens = 0;
    let interactiveDone = false;
    const busy = keepBusy(work.backgroundAgents, () => interactiveDone, async (index) => {
      const agent = new KernelPromptAgent(llm, `${background.systemPrompt}\n\n${describeTools(bgTools)}`, work.backgroundTask(index), work.slotContext - background.model.maxTokensPerStep);
      for (let step = 1; step <= background.model.maxSteps; step++) {
        const result = await server.complete({ prompt: agent.prompt(), nPredict: background.model.maxTokensPerStep, grammar: bgGrammar, temperature: background.model.temperature });
        tokens += result.tokensPredicted;
        if (isFinal(result.content)) return;
        agent.record(result.content, result.tokens);
      }
    });
    // Marked handled at once: a failure is rethrown by the await below, not reported as unhandled first.
    busy.catch(() => undefined);
    let firstPromptTokens = Number.NaN;
    const answered = await closedLoop(work.load, async (user, round) => {
      const agent = new KernelPromptAgent(llm, `${interactive.systemPrompt}\n\n${describeTools([])}`, work.interactiveTask(user, round), work.slotContext - interactive.model.maxTokensPerStep);
      const result = await server.complete({ prompt: agent.prompt(), nPredict: interactive.model.maxTokensPerStep, grammar: answerGrammar, temperature: interactive.model.temperature });
      tokens += result.tokensPredicted;
      if (Number.isNaN(firstPromptTokens)) firstPromptTokens = result.promptTokens;
      return { ttftMs: result.firstTokenMs, latencyMs: result.totalMs };
    }).finally(() => (interactiveDone = true));
    const jobs = await busy;
    const wallMs = performance.now() - started;
    return {
      binary: peer.binary,
      llama_cpp_commit: peer.commit,
      server_args: { parallel: work.slots, threads, ctx_size: work.slots * work.slotContext, kv_unified: false },
      prompt: `token ids built by the kernel's PromptBuilder over its LlamaBackend (chat template: ${llm.info.hasChatTemplate ? 'yes' : 'none, plain format'})`,
      ...workloadFigures(wallMs, tokens, answered),
      background_jobs: jobs,
      first_request_prompt_tokens: firstPromptTokens,
    };
  } finally {
    await server.stop();
    await llm.dispose();
  }
}
