/**
 * llama.cpp's own server as a benchmark peer: what users run today to share one local model among
 * several agents (`--parallel N`: continuous batching over N slots, first come first served, no
 * preemption). Built by `npm run peers:build` from the llama.cpp source node-llama-cpp ships, so
 * both sides run the same llama.cpp. The API used here was checked against that source's
 * tools/server/README.md: GET /health (200 once the model is loaded), POST /completion with
 * prompt, n_predict, grammar, id_slot, cache_prompt, stream; `--port 0` binds any free port
 * (server-http.cpp) and the server logs `listening on http://HOST:PORT` after the model loads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const PEER_MISSING = 'llama-server not built: npm run peers:build';
/** Bounds on the peer's lifecycle: a hang guard, not a timing judgement. */
const START_LIMIT_MS = 180_000;
const STOP_GRACE_MS = 5_000;

export interface LlamaServerPeer {
  binary: string;
  /** The llama.cpp commit the binary was built from (its stamp file). */
  commit: string;
}

/** The built binary, or null when `npm run peers:build` has not been run. */
export function findLlamaServer(): LlamaServerPeer | null {
  const cache = process.env.AMK_PEERS_CACHE ?? join(homedir(), '.cache', 'amk', 'peers');
  const binary = join(cache, 'bin', 'llama-server');
  const stamp = join(cache, 'bin', 'llama-server.stamp.json');
  if (!existsSync(binary) || !existsSync(stamp)) return null;
  const { commit } = JSON.parse(readFileSync(stamp, 'utf8')) as { commit: string };
  return { binary, commit };
}

export interface StartOptions {
  modelPath: string;
  /** `--parallel`: the kernel's slot count. */
  slots: number;
  /** `--threads`; undefined leaves llama.cpp's default. */
  threads: number | undefined;
  /** Per-slot context; the server gets slots × this and splits it evenly among its slots. */
  slotContext: number;
  /** More flags (e.g. `--slot-save-path DIR` for a core whose slots the kernel saves and restores). */
  extraArgs?: readonly string[];
}

export interface CompletionRequest {
  /** Text (the server tokenizes it) or token ids, sent as they are (a prompt built as the kernel builds it). */
  prompt: string | readonly number[];
  nPredict: number;
  grammar?: string;
  /** The agent's sampling temperature (the kernel's default is 0: greedy; llama-server's is 0.8). */
  temperature: number;
  /** -1 (default): any idle slot, as a client that does not pin slots sends. */
  idSlot?: number;
}

export interface CompletionResult {
  content: string;
  /** Tokens that produced text: the end-of-sequence token, which the kernel never decodes, is not counted. */
  tokensPredicted: number;
  /** The tokens produced, as streamed. */
  tokens: number[];
  /** The prompt's length in tokens as the server counted it (`tokens_evaluated` of the last event). */
  promptTokens: number;
  /** ms from sending to the first streamed token, and to the end. */
  firstTokenMs: number;
  totalMs: number;
}

export class LlamaServer {
  private exited = false;
  private readonly exitedPromise: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** The server's recent log, for errors: a dropped connection alone says nothing. */
    private readonly logTail: () => string,
  ) {
    this.exitedPromise = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => (this.exited = true));
  }

  static async start(peer: LlamaServerPeer, options: StartOptions): Promise<LlamaServer> {
    const args = ['--model', options.modelPath, '--host', '127.0.0.1', '--port', '0',
      '--parallel', String(options.slots), '--ctx-size', String(options.slots * options.slotContext),
      // Each slot gets ctx-size / parallel, as each kernel slot gets its own sequence.
      '--no-kv-unified', '--no-webui', '--gpu-layers', '0'];
    if (options.threads !== undefined) args.push('--threads', String(options.threads), '--threads-batch', String(options.threads));
    if (options.extraArgs) args.push(...options.extraArgs);
    const child = spawn(peer.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const port = await new Promise<number>((resolve, reject) => {
      const fail = (error: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`llama-server did not start within ${START_LIMIT_MS} ms:\n${log.slice(-2000)}`)), START_LIMIT_MS);
      const onData = (chunk: Buffer): void => {
        log = (log + chunk.toString('utf8')).slice(-20_000);
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.stdout!.on('error', fail);
      child.stderr!.on('error', fail);
      // Kept for the child's whole life: a later error (a failed kill) must not go unhandled.
      child.on('error', fail);
      child.once('exit', (code, signal) => fail(new Error(`llama-server exited (${code ?? signal}) before listening:\n${log.slice(-2000)}`)));
    });
    const server = new LlamaServer(child, port, () => log.slice(-3000));
    try {
      await server.waitHealthy();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** GET /health until 200: 503 while the model loads. */
  private async waitHealthy(): Promise<void> {
    const deadline = Date.now() + START_LIMIT_MS;
    for (;;) {
      const status = await this.get('/health').catch(() => 0);
      if (status === 200) return;
      if (this.exited) throw new Error('llama-server exited before /health answered 200');
      if (Date.now() > deadline) throw new Error(`llama-server /health did not answer 200 within ${START_LIMIT_MS} ms`);
      // It logs `listening` after loading, so this loop rarely turns; the tick only bounds the polling rate.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private get(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, path, method: 'GET', agent: false }, (res) => {
        res.on('error', reject);
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * POST /completion, streamed so the first token's time is known. One connection per request
   * (agent: false): reusing a kept-alive socket the server has just closed fails with "socket hang up".
   */
  complete(body: CompletionRequest): Promise<CompletionResult> {
    const payload = JSON.stringify({
      prompt: body.prompt,
      n_predict: body.nPredict,
      temperature: body.temperature,
      ...(body.grammar ? { grammar: body.grammar } : {}),
      id_slot: body.idSlot ?? -1,
      cache_prompt: true,
      stream: true,
    });
    const sent = performance.now();
    return new Promise((resolve, reject) => {
      let firstTokenMs = Number.NaN;
      let content = '';
      let tokensPredicted = 0;
      const tokens: number[] = [];
      let promptTokens = Number.NaN;
      let buffer = '';
      const req = request(
        { host: '127.0.0.1', port: this.port, path: '/completion', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          res.on('error', reject);
          if (res.statusCode !== 200) {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            res.on('end', () => reject(new Error(`llama-server /completion answered ${res.statusCode}: ${text.slice(0, 500)}`)));
            return;
          }
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString('utf8');
            // Server-sent events: one `data: {json}` line per event, blank line between.
            let newline: number;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, newline).trim();
              buffer = buffer.slice(newline + 1);
              if (!line.startsWith('data: ')) continue;
              const event = JSON.parse(line.slice(6)) as { content?: string; tokens?: number[]; tokens_evaluated?: number; error?: unknown };
              if (event.error) return reject(new Error(`llama-server: ${JSON.stringify(event.error)}`));
              if (event.content && Number.isNaN(firstTokenMs)) firstTokenMs = performance.now() - sent;
              content += event.content ?? '';
              if (event.content) tokensPredicted += event.tokens?.length ?? 0;
              if (event.content) tokens.push(...(event.tokens ?? []));
              if (typeof event.tokens_evaluated === 'number') promptTokens = event.tokens_evaluated;
            }
          });
          res.on('end', () => resolve({ content, tokensPredicted, tokens, promptTokens, firstTokenMs, totalMs: performance.now() - sent }));
        },
      );
      req.on('error', (error) => reject(new Error(`llama-server /completion failed: ${error.message}; its log ends:\n${this.logTail()}`)));
      req.end(payload);
    });
  }

  /** `kill -9`: the machine dies mid-generation (the cores benchmark's failover run). Resolves once it has exited. */
  async killNow(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.exitedPromise;
  }

  /** SIGTERM, then SIGKILL if it has not exited within a bound. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exitedPromise;
    clearTimeout(timer);
  }
}
