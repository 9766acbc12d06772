/**
 * Runs suite tasks on a kernel (one at a time, so greedy decoding is reproducible) and, for the
 * baseline, the same model in one plain chat turn: node-llama-cpp's LlamaChatSession, no tools,
 * no grammar, no memory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getLlama, LlamaChatSession, LlamaLogLevel } from 'node-llama-cpp';
import type { ProcessInfo } from '../src-shared/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentManifest, type AgentManifest } from '../src-shared/index.js';
import { handleKernelRequest, type Kernel } from '../src-main/kernel/index.js';
import { STOCK, WEATHER, type SuiteTask, type TaskEnv } from './task-suite.js';

export interface TaskOutcome {
  id: string;
  agent: string;
  ok: boolean;
  /** Why the judge said no (null when it said yes). */
  problem: string | null;
  answer: string;
  steps: number;
  tokens: number;
  seconds: number;
}

/** The JSON pages the web tasks read, on 127.0.0.1 (names resolving to loopback are refused by the sandbox). */
export async function startJsonServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const pages: Record<string, unknown> = { '/weather.json': WEATHER, '/stock.json': STOCK };
  const server: Server = createServer((request, response) => {
    const page = pages[request.url ?? ''];
    if (page === undefined) response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every call goes through the kernel's API entry, as a client's would. */
function api(kernel: Kernel, method: string, params: unknown): Promise<unknown> {
  return handleKernelRequest(kernel, method, params);
}

function galleryManifest(galleryDir: string, id: string): AgentManifest {
  const parsed = parseAgentManifest(JSON.parse(readFileSync(join(galleryDir, `${id}.json`), 'utf8')), id);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.manifest;
}

function answerOf(info: ProcessInfo): string {
  return info.exit?.answer ?? '';
}

/** One task on the kernel: grants through the API, spawn (or handoff), wait, judge. */
export async function runKernelTask(kernel: Kernel, task: SuiteTask, env: TaskEnv, timeoutMs = 180_000): Promise<TaskOutcome> {
  const started = performance.now();
  const grantIds: string[] = [];
  for (const capability of task.grants?.(env) ?? []) {
    const grant = (await api(kernel, 'grants.add', { agentId: task.agent, capability, scope: 'session' })) as { id: string };
    grantIds.push(grant.id);
  }
  const pids: number[] = [];
  try {
    let info: ProcessInfo;
    if (task.handoffFrom) {
      const first = (await api(kernel, 'proc.spawn', { agent: task.handoffFrom.agent, task: task.handoffFrom.task })) as ProcessInfo;
      pids.push(first.pid);
      await kernel.wait(first.pid, timeoutMs);
      const { process } = (await api(kernel, 'ipc.handoff', { from: first.pid, agent: task.agent, task: task.task(env), mode: 'text' })) as { process: ProcessInfo };
      pids.push(process.pid);
      info = await kernel.wait(process.pid, timeoutMs);
    } else {
      const spawned = (await api(kernel, 'proc.spawn', { agent: task.agent, task: task.task(env) })) as ProcessInfo;
      pids.push(spawned.pid);
      info = await kernel.wait(spawned.pid, timeoutMs);
    }
    const answer = answerOf(info);
    const problem = info.exit?.code === 0 ? task.judge(answer, env) : `exited with ${info.exit?.code}: ${info.exit?.reason}`;
    const all = pids.map((pid) => api(kernel, 'proc.get', { pid }) as Promise<ProcessInfo>);
    const counters = (await Promise.all(all)).map((p) => p.counters);
    return {
      id: task.id,
      agent: task.agent,
      ok: problem === null,
      problem,
      answer,
      steps: counters.reduce((sum, c) => sum + c.steps, 0),
      tokens: counters.reduce((sum, c) => sum + c.tokensIn + c.tokensOut, 0),
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    for (const pid of pids) await api(kernel, 'proc.kill', { pid }).catch(() => {});
    return { id: task.id, agent: task.agent, ok: false, problem: (error as Error).message, answer: '', steps: 0, tokens: 0, seconds: (performance.now() - started) / 1000 };
  } finally {
    for (const grantId of grantIds) await api(kernel, 'grants.revoke', { grantId });
  }
}

/** The same tasks as one plain chat turn each: the agent's system prompt, the task, greedy decoding. */
export async function runPlainChat(modelPath: string, threads: number, tasks: readonly SuiteTask[], env: TaskEnv, galleryDir: string): Promise<TaskOutcome[]> {
  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never', progressLogs: false });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 2048, threads });
  const sequence = context.getSequence();
  const outcomes: TaskOutcome[] = [];
  try {
    for (const task of tasks) {
      const manifest = galleryManifest(galleryDir, task.agent);
      const started = performance.now();
      const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: manifest.systemPrompt });
      const text = task.handoffFrom ? `${task.handoffFrom.task}\nThen: ${task.task(env)}` : task.task(env);
      let tokens = 0;
      const answer = await session.prompt(text, { temperature: 0, maxTokens: manifest.model.maxTokensPerStep, onToken: (chunk) => (tokens += chunk.length) });
      session.dispose({ disposeSequence: false });
      await sequence.clearHistory();
      const problem = task.judge(answer, env);
      outcomes.push({ id: task.id, agent: task.agent, ok: problem === null, problem, answer, steps: 1, tokens, seconds: (performance.now() - started) / 1000 });
    }
  } finally {
    await context.dispose();
    await model.dispose();
  }
  return outcomes;
}
