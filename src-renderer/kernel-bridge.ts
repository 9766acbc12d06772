import type { KernelClient, KernelEvent } from '../src-shared/index.js';
import { SAMPLE_MS } from './store/metrics.slice.js';
import type { KernelStoreApi } from './store/kernel-store.js';
import type { KernelConnector } from './transport/kernel-connector.js';

/** How often streamed events are folded into the store: token-rate output, at most ~30 updates a second. */
const FLUSH_MS = 33;
/** How much of the audit log the page reads when it connects; later records stream in. */
const AUDIT_BACKLOG = 500;

export interface KernelBridge {
  /** Connects with what the connector offers (the link's `#token=`, the token this tab kept, the preload), or asks for a token. */
  start(): void;
  connect(token: string | null): Promise<void>;
  /** Connects again with the last token. */
  reconnect(): Promise<void>;
  dispose(): void;
}

export interface KernelBridgeOptions {
  connector: KernelConnector;
}

/**
 * The one subscriber between the kernel and the store. It subscribes first and buffers, becomes
 * the connection's grant approver, then reads a snapshot, then replays the buffer, so no event
 * falls between the read and the stream. Live events are batched into one store update per frame,
 * and token rates are sampled twice a second while connected.
 */
export function createKernelBridge(store: KernelStoreApi, { connector }: KernelBridgeOptions): KernelBridge {
  let token: string | null | undefined;
  let session: { client: KernelClient; stop: () => void } | null = null;
  let generation = 0;

  const actions = () => store.getState();

  async function connect(nextToken: string | null): Promise<void> {
    token = nextToken;
    session?.stop();
    session = null;
    const mine = ++generation;
    actions().connectionChanged('connecting');

    let connection: Awaited<ReturnType<KernelConnector['open']>>;
    try {
      connection = await connector.open(nextToken);
    } catch (error) {
      if (mine === generation) actions().connectionChanged('failed', error instanceof Error ? error.message : String(error));
      return;
    }
    const { client } = connection;
    if (mine !== generation) {
      client.close();
      return;
    }

    let buffer: KernelEvent[] | null = [];
    let queue: KernelEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;

    const flush = (): void => {
      timer = null;
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      actions().ingest(batch);
    };

    /** Without an approver the kernel denies every grant request at once: say so, but go on. */
    const becomeApprover = async (): Promise<void> => {
      try {
        await client.call('grants.attach', {});
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        actions().raiseError(new Error(`this window cannot answer grant requests, so the kernel denies them: ${reason}`));
      }
    };

    /** Reads the kernel's state while events buffer, then replays them on top. */
    const synchronise = async (full: boolean): Promise<void> => {
      buffer ??= [];
      try {
        if (full) {
          await becomeApprover();
          const [info, processes, agents, tools, grants, grantRequests, audit] = await Promise.all([
            client.call('kernel.info', {}),
            client.call('proc.list', {}),
            client.call('gallery.list', {}),
            client.call('tools.list', {}),
            client.call('grants.list', {}),
            client.call('grants.pending', {}),
            client.call('audit.query', { limit: AUDIT_BACKLOG }),
          ]);
          if (stopped) return;
          actions().loadSnapshot({ info, processes, agents, tools, grants, grantRequests, audit });
          void actions().refreshModels();
          void actions().refreshCores();
        } else {
          const [processes, grants, grantRequests] = await Promise.all([
            client.call('proc.list', {}),
            client.call('grants.list', {}),
            client.call('grants.pending', {}),
          ]);
          if (stopped) return;
          actions().resync({ processes, grants, grantRequests });
          // Cores' load and health changes are in the dropped events too.
          void actions().refreshCores();
        }
      } catch (error) {
        if (!stopped) actions().raiseError(error);
      }
      const replay = buffer ?? [];
      buffer = null;
      if (!stopped && replay.length > 0) actions().ingest(replay);
    };

    const unsubscribe = client.subscribe((event) => {
      if (stopped) return;
      if (buffer) {
        buffer.push(event);
        return;
      }
      queue.push(event);
      // Events were dropped for this page: the table may be stale, so read it again.
      if (event.type === 'bus.lagged') {
        flush();
        void synchronise(false);
        return;
      }
      timer ??= setTimeout(flush, FLUSH_MS);
    });
    const sampler = setInterval(() => actions().sampleRates(Date.now()), SAMPLE_MS);

    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      clearInterval(sampler);
      if (timer !== null) clearTimeout(timer);
      flush();
      actions().setImporter(null);
      actions().setToolStager(null);
      client.close();
    };
    connection.onClose((reason) => {
      if (stopped) return;
      stop();
      if (mine === generation) actions().connectionChanged('closed', `the connection to the kernel closed (${reason})`);
    });

    session = { client, stop };
    actions().connectionOpened(client);
    actions().setImporter(connection.importModelFile ?? null);
    actions().setToolStager(connection.stageToolPackage ?? null);
    await synchronise(true);
  }

  const askForToken = (): void => actions().connectionChanged('needs-token');

  return {
    start() {
      const initial = connector.initialToken();
      if (initial === undefined) askForToken();
      else void connect(initial);
    },
    connect,
    reconnect: () => (token === undefined ? Promise.resolve(askForToken()) : connect(token)),
    dispose() {
      generation += 1;
      session?.stop();
      session = null;
    },
  };
}
