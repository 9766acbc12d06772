/**
 * The sandbox benchmark's peers: other ways to run the calculator's algorithm, each registered as a
 * tool provider of the kernel's own registry, so that every side is called through the same
 * `tool.call` syscall (contract check, agent's tool list, argument schema, audit) and only what runs
 * the tool differs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ToolManifest, ToolManifestInput } from '../src-shared/index.js';
import { PluginPool } from '../src-main/kernel/sandbox/plugin-pool.js';
import type { ToolCallContext, ToolProvider } from '../src-main/kernel/tools/index.js';

/** The calculator's algorithm in plain JS, once: run in this process and in the peer processes. */
const EVALUATE_SOURCE = `function evaluate(source) {
  let position = 0;
  const peek = () => source.slice(position).trimStart()[0] ?? '';
  const skip = () => { while (source[position] === ' ') position++; };
  const primary = () => {
    skip();
    if (source[position] === '(') { position++; const value = sum(); skip(); position++; return value; }
    const start = position;
    while (/[\\d.]/.test(source[position] ?? '')) position++;
    return Number(source.slice(start, position));
  };
  const product = () => {
    let value = primary();
    for (let op = peek(); op === '*' || op === '/'; op = peek()) { skip(); position++; const right = primary(); value = op === '*' ? value * right : value / right; }
    return value;
  };
  const sum = () => {
    let value = product();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) { skip(); position++; const right = product(); value = op === '+' ? value + right : value - right; }
    return value;
  };
  return sum();
}`;

export const evaluate = new Function(`${EVALUATE_SOURCE}\nreturn evaluate;`)() as (source: string) => number;

/** A child process answering one JSON line per JSON request line, as a tool server would. */
const SERVER_SCRIPT = `${EVALUATE_SOURCE}
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  let answer;
  try { answer = { ok: true, value: { value: evaluate(JSON.parse(line).expression) } }; } catch (error) { answer = { ok: false, error: String(error) }; }
  process.stdout.write(JSON.stringify(answer) + '\\n');
});`;

/** One process kept warm, taking requests one at a time in order. */
export class ToolProcess {
  private readonly pending: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('error', (error) => this.failAll(error));
    child.stdin.on('error', (error) => this.failAll(error));
    child.once('exit', (code) => this.failAll(new Error(`the tool process exited (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as { ok: boolean; value?: unknown; error?: string };
      const next = this.pending.shift();
      if (answer.ok) next?.resolve(answer.value);
      else next?.reject(new Error(answer.error));
    });
  }

  static start(): ToolProcess {
    return new ToolProcess(spawn(process.execPath, ['-e', SERVER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] }) as unknown as ChildProcessWithoutNullStreams);
  }

  call(args: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(args)}\n`);
    });
  }

  private failAll(error: Error): void {
    for (const next of this.pending.splice(0)) next.reject(error);
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }
}

export const PEERS = {
  warmProcess: 'peer_warm_process',
  freshInstance: 'peer_fresh_instance',
  plainJs: 'peer_plain_js',
  freshProcess: 'peer_fresh_process',
} as const;

/** Starts a fresh instance of a Wasm plugin in the kernel's own worker, measuring until it is ready. */
export async function instantiate(manifest: ToolManifest, bytes: Uint8Array): Promise<{ pool: PluginPool; ms: number }> {
  const pool = new PluginPool(manifest, bytes);
  const started = performance.now();
  await pool.warm();
  return { pool, ms: performance.now() - started };
}

/** The peers as one tool provider; each tool takes the calculator's arguments and answers as it does. */
export class PeerProvider implements ToolProvider {
  readonly name = 'bench-peers';
  private readonly warm = ToolProcess.start();

  constructor(
    private readonly calculator: ToolManifest,
    private readonly wasm: Uint8Array,
  ) {}

  manifests(): ToolManifestInput[] {
    const { inputSchema, outputSchema } = this.calculator;
    return Object.values(PEERS).map((name) => ({ name, description: `the calculator, run as ${name}`, runtime: 'builtin' as const, inputSchema, outputSchema }));
  }

  async invoke(tool: string, args: Record<string, unknown>, context: ToolCallContext): Promise<unknown> {
    if (tool === PEERS.plainJs) return { value: evaluate(String(args.expression)) };
    if (tool === PEERS.warmProcess) return this.warm.call(args);
    if (tool === PEERS.freshProcess) {
      const once = ToolProcess.start();
      try {
        return await once.call(args);
      } finally {
        await once.close();
      }
    }
    // A fresh instance per call: the kernel's worker and plugin code, without its warm pool.
    const { pool } = await instantiate(this.calculator, this.wasm);
    try {
      const scope = { pid: context.pid, agentId: context.agentId, tool: this.calculator.name, granted: [], deadline: Date.now() + this.calculator.limits.timeMs, maxBytes: this.calculator.limits.outputBytes, protectedRoots: [], audit: () => {} };
      const answer = JSON.parse(await pool.call(JSON.stringify(args), scope)) as { ok: boolean; value?: unknown; error?: string };
      if (!answer.ok) throw new Error(answer.error);
      return answer.value;
    } finally {
      await pool.dispose();
    }
  }

  dispose(): Promise<void> {
    return this.warm.close();
  }
}
