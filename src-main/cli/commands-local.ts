import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { handleKernelRequest, Kernel, ModelManager, type BootReport, type KernelConfig } from '../kernel/index.js';
import type { DownloadProgress, KernelClient, ModelsOverview } from '../../src-shared/index.js';
import { connectionFilePath, connectKernel, readConnectionFile, serveKernel, type ServedKernel } from '../server/index.js';
import { catalogPath, defaultDataDir, resolveKernelConfig, type SettingsFlags } from '../settings.js';
import { EXIT, UsageError, formatBytes, formatDuration, shutdownSignal, table } from './cli-io.js';

/** A gallery id, or a path to a manifest file. */
export function readAgentArgument(agent: string): string | Record<string, unknown> {
  if (!agent.endsWith('.json') && !agent.includes('/')) return agent;
  let text: string;
  try {
    text = readFileSync(agent, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read manifest ${agent}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`manifest ${agent} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * `amk run`: one agent in a kernel of its own, output streamed, a summary at the end. Its settings
 * and model come from the data directory as `amk serve`'s do (flags, AMK_*, config.json, the models
 * folder), so a model installed with `amk models` is found; its kernel (journal, grants, memory)
 * lives in a temporary directory, so it never meets a running kernel's lock or journal.
 */
export async function run(agent: string, task: string, flags: SettingsFlags & { json?: boolean; grants?: string[] }): Promise<number> {
  const spec = readAgentArgument(agent);
  const settings = resolveKernelConfig(flags);
  if (!settings.modelPath) {
    throw new UsageError(`no model: pass --model PATH, set AMK_MODEL, or install one with \`amk models download ID\` (into ${join(settings.dataDir, 'models')})`);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'amk-run-'));
  const config: KernelConfig = { ...settings, dataDir: scratch, slots: 1 };
  let kernel: Kernel;
  try {
    kernel = await Kernel.boot(config);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  try {
    const info = kernel.info();
    if (!info.model) {
      console.error(`amk: ${info.modelError}`);
      return EXIT.failed;
    }
    const stopStream = kernel.bus.on((event) => {
      if (!('pid' in event)) return;
      if (event.type === 'proc.output') process.stdout.write(event.text);
      else if (event.type === 'proc.step' && event.action.type === 'tool') process.stdout.write('\n');
      else if (event.type === 'proc.tool-result') {
        const shown = event.ok ? JSON.stringify(event.value) : `error: ${event.error?.message}`;
        process.stderr.write(`  → ${event.tool}: ${shown}\n`);
      }
    });
    // The user grants on the command line: there is no UI to ask, so anything else is denied.
    const manifest = kernel.resolveManifest(spec);
    for (const capability of flags.grants ?? []) await kernel.sandbox.grant(manifest.id, '*', capability, 'session');
    const spawned = (await handleKernelRequest(kernel, 'proc.spawn', { agent: spec, task })) as { pid: number };
    const stopOnSignal = (): void => void kernel.kill(spawned.pid);
    process.once('SIGINT', stopOnSignal);
    const done = await kernel.wait(spawned.pid);
    process.off('SIGINT', stopOnSignal);
    stopStream();
    process.stdout.write('\n');
    const c = done.counters;
    const seconds = ((done.exitedAt ?? Date.now()) - done.createdAt) / 1000;
    const rate = c.cpuMs + c.gpuMs > 0 ? (c.tokensOut * 1000) / (c.cpuMs + c.gpuMs) : 0;
    if (flags.json) console.log(JSON.stringify(done, null, 2));
    if (done.exit?.answer !== undefined) console.log(`answer: ${done.exit.answer}`);
    console.error(
      `pid ${done.pid} ${done.agentId} ${done.state} (exit ${done.exit?.code}: ${done.exit?.reason}) in ${formatDuration(seconds * 1000)}: ` +
        `${c.tokensIn} tokens in, ${c.tokensOut} out, ${rate.toFixed(0)} tok/s, ${c.steps} steps, ${c.toolCalls} tool calls`,
    );
    if (done.state === 'crashed') return EXIT.failed;
    return done.exit?.code === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await kernel.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What `amk serve` says about the journal at boot: skipped lines, and what became of each recovered process. */
export function bootReportLines(report: BootReport): string[] {
  const lines: string[] = [];
  if (report.journalSkippedCount > 0) {
    lines.push(`journal: ${report.journalSkippedCount} line(s) skipped on load:`);
    for (const skipped of report.journalSkippedLines.slice(0, 5)) lines.push(`  line ${skipped.line}: ${skipped.reason}`);
    if (report.journalSkippedCount > 5) lines.push(`  and ${report.journalSkippedCount - 5} more (amk info)`);
  }
  if (report.recovery.length > 0) lines.push(`recovered ${report.recovery.length} process(es) from the journal:`);
  for (const { pid, outcome, reason } of report.recovery) lines.push(`  pid ${pid}: ${outcome} (${reason})`);
  return lines;
}

/** `amk serve`: the kernel behind the WebSocket API until SIGINT or SIGTERM. */
export async function serve(flags: SettingsFlags & { port?: string; host?: string }): Promise<number> {
  const config = resolveKernelConfig(flags);
  if (flags.host && !['127.0.0.1', 'localhost', '::1'].includes(flags.host)) {
    throw new UsageError('amk serve listens on loopback only (127.0.0.1, localhost or ::1)');
  }
  // Checked before the kernel boots: a typo in a flag should not cost a model load.
  const port = flags.port === undefined ? 7420 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got "${flags.port}"`);
  const signal = shutdownSignal();
  const kernel = await Kernel.boot(config);
  let served: ServedKernel;
  try {
    served = await serveKernel({ name: 'amk serve', kernel, port, ...(flags.host ? { host: flags.host } : {}) });
  } catch (error) {
    // A port in use ends `amk serve` at once, with the kernel's journal closed cleanly.
    signal.release();
    await kernel.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    console.error(`amk: cannot listen on ${flags.host ?? '127.0.0.1'}:${port}: ${code === 'EADDRINUSE' ? 'the port is in use (another amk serve? try --port 0)' : (error as Error).message}`);
    return EXIT.failed;
  }
  const { server } = served;
  const info = kernel.info();
  // Logs and CI output are kept: the token is printed only to a human at a terminal, and only in
  // the link's fragment (`#token=`), which the browser keeps to itself.
  console.log(`amk kernel ${info.version} serving at ${server.url}`);
  console.log(`access token: in ${connectionFilePath(config.dataDir)} (readable by you alone)`);
  if (process.stdout.isTTY) console.log(`open the UI: ${server.openUrl}`);
  else console.log(`open the UI at ${server.url} and paste the token, or run \`amk ps\` and friends, which read it themselves`);
  console.log(`MCP (Streamable HTTP) at ${server.url}/mcp: give each client its own token (amk mcp token NAME)`);
  console.log(info.model ? `model: ${info.model.name} (${info.model.backend}, ${info.model.threads} threads, ${info.model.slots} slots)` : `no model: ${info.modelError}`);
  for (const error of kernel.report.galleryErrors) console.error(`gallery: ${error.message}`);
  for (const line of bootReportLines(kernel.report)) console.log(line);
  const received = await signal.received;
  console.log(`${received}: shutting down (agents stop at a token boundary and resume on the next start)`);
  await served.close();
  await kernel.dispose();
  // The handlers stay: a signal still queued behind the shutdown's synchronous work would otherwise
  // meet Node's default action and end the process with a signal instead of exit code 0.
  console.log('stopped cleanly');
  return EXIT.ok;
}

function showProgress(p: DownloadProgress): void {
  const percent = p.totalBytes > 0 ? ((100 * p.receivedBytes) / p.totalBytes).toFixed(1) : '?';
  const left = p.secondsLeft === null ? '' : ` ${Math.ceil(p.secondsLeft)}s left`;
  process.stderr.write(`\r${p.state} ${percent}% ${formatBytes(p.bytesPerSecond)}/s${left}${p.error ? ` (${p.error})` : ''}   `);
}

/** Starts (or joins) the kernel's download and follows it to the end; resolves to the installed path. */
function downloadThroughKernel(client: KernelClient, id: string, directory: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stop = client.subscribe((event) => {
      if (event.type !== 'model.download' || event.progress.id !== id) return;
      showProgress(event.progress);
      if (event.progress.state === 'done') {
        stop();
        resolve(join(directory, event.progress.file));
      } else if (event.progress.state === 'failed') {
        stop();
        reject(new Error(event.progress.error ?? `the download of ${id} failed`));
      }
    });
    client
      .call('events.subscribe', {})
      .then(() => client.call('models.download', { id }))
      .catch((error: unknown) => {
        stop();
        reject(error instanceof Error ? error : new Error(String(error)));
      });
  });
}

type Overview = Pick<ModelsOverview, 'catalog' | 'installed' | 'defaultId' | 'inUse' | 'loading'>;

async function localOverview(manager: ModelManager): Promise<Overview> {
  return { catalog: manager.catalog.models, installed: await manager.installed(), defaultId: manager.catalog.default, inUse: null, loading: null };
}

/** The catalogue and the models folder as one table: STATUS says installed, loaded or loading, as the UI's models screen does. */
function printModels(overview: Overview): void {
  const status = (path: string | undefined): string => (!path ? '' : path === overview.inUse ? 'loaded' : path === overview.loading ? 'loading' : 'installed');
  const rows = [['STATUS', 'ID', 'ROLE', 'SIZE', 'VRAM', 'LICENSE']];
  for (const model of overview.catalog) {
    const have = overview.installed.find((entry) => entry.file === model.file);
    rows.push([status(have?.path), model.id, model.role, formatBytes(model.sizeBytes), `~${model.vramGiB} GiB`, `${model.license}${model.id === overview.defaultId ? '  (default)' : ''}`]);
  }
  for (const extra of overview.installed.filter((entry) => entry.catalogId === null)) rows.push([status(extra.path), extra.file, 'imported', formatBytes(extra.sizeBytes), '', '']);
  console.log(table(rows));
  if (overview.inUse && !overview.installed.some((entry) => entry.path === overview.inUse)) console.log(`\nloaded: ${overview.inUse} (outside the models folder)`);
}

/**
 * `amk models list | download ID | import FILE | delete FILE | use FILE`: the data directory's
 * models folder. While a kernel serves that folder, changes go through it (it knows which model
 * is in use); `use` needs one.
 */
export async function models([action, argument]: string[], dataDir?: string): Promise<number> {
  const directory = dataDir ? resolve(dataDir) : defaultDataDir();
  const manager = new ModelManager(directory, catalogPath());
  const running = readConnectionFile(directory);
  const viaKernel = async <T>(call: (client: Awaited<ReturnType<typeof connectKernel>>) => Promise<T>): Promise<T> => {
    if (!running) throw new Error(`no running kernel found (no ${directory}/serve.json): start one with \`amk serve\``);
    const client = await connectKernel(running.url, running.token);
    try {
      return await call(client);
    } finally {
      client.close();
    }
  };
  switch (action) {
    case 'list':
    case undefined: {
      // A running kernel knows which model is loaded; without one, none is. One that cannot be
      // reached (its serve.json names a live pid that is not it) leaves the folder's own view.
      const fromKernel = running ? await viaKernel((client) => client.call('models.list', {})).catch((error: Error) => error) : null;
      printModels(fromKernel && !(fromKernel instanceof Error) ? fromKernel : await localOverview(manager));
      if (fromKernel instanceof Error) console.log(`\nloaded: unknown (${fromKernel.message})`);
      else if (!fromKernel) console.log(`\nno kernel is running on ${directory}: no model is loaded (\`amk serve\` loads one)`);
      return EXIT.ok;
    }
    case 'download': {
      if (!argument) throw new UsageError('usage: amk models download ID');
      // Two writers on one partial file would ruin it: with a kernel running, it downloads.
      const path = running ? await viaKernel((client) => downloadThroughKernel(client, argument, manager.directory)) : await manager.download(argument, showProgress);
      process.stderr.write('\n');
      console.log(path);
      return EXIT.ok;
    }
    case 'import':
      if (!argument) throw new UsageError('usage: amk models import FILE.gguf');
      console.log(running ? (await viaKernel((client) => client.call('models.import', { path: resolve(argument) }))).path : await manager.import(argument));
      return EXIT.ok;
    case 'delete':
      if (!argument) throw new UsageError('usage: amk models delete FILE');
      if (running) await viaKernel((client) => client.call('models.delete', { file: argument }));
      else await manager.delete(argument, null);
      return EXIT.ok;
    case 'use': {
      if (!argument) throw new UsageError('usage: amk models use FILE');
      const model = await viaKernel((client) => client.call('models.load', { file: argument }));
      console.log(`loaded ${model.name}: ${model.backend}, ${model.gpuLayers}/${model.totalLayers} layers on the GPU, context ${model.contextSize}`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown models action "${action}" (list, download, import, delete, use)`);
  }
}
