import type { KernelClient, KernelEvent, MessageTransport } from '../src-shared/index.js';
import { createKernelClient } from '../src-shared/index.js';
import type { KernelStoreApi } from './store/kernel-store.js';
import { kernelSocketUrl, openWebSocketTransport, tokenFromLocation } from './websocket-transport.js';

/** How often streamed events are folded into the store: token-rate output, at most ~30 updates a second. */
const FLUSH_MS = 33;

export interface KernelBridge {
  /** Connects with the page's `?token=`, or asks for one when the address has none. */
  start(): void;
  connect(token: string): Promise<void>;
  /** Connects again with the last token. */
  reconnect(): Promise<void>;
  dispose(): void;
}

export interface KernelBridgeOptions {
  location: Pick<Location, 'search' | 'protocol' | 'host'>;
  openTransport?: (url: string) => Promise<MessageTransport>;
}

/**
 * The one subscriber between the kernel and the store. It subscribes first and buffers, then reads
 * a snapshot (kernel.info, proc.list, gallery.list), then replays the buffer, so no event falls
 * between the read and the stream. Live events are batched into one store update per frame.
 */
export function createKernelBridge(store: KernelStoreApi, options: KernelBridgeOptions): KernelBridge {
  const openTransport = options.openTransport ?? openWebSocketTransport;
  let token: string | null = null;
  let session: { client: KernelClient; stop: () => void } | null = null;
  let generation = 0;

  const actions = () => store.getState();

  async function connect(nextToken: string): Promise<void> {
    token = nextToken;
    session?.stop();
    session = null;
    const mine = ++generation;
    actions().connectionChanged('connecting');

    let transport: MessageTransport;
    try {
      transport = await openTransport(kernelSocketUrl(options.location, nextToken));
    } catch (error) {
      if (mine === generation) actions().connectionChanged('failed', error instanceof Error ? error.message : String(error));
      return;
    }
    if (mine !== generation) {
      transport.close();
      return;
    }

    const client = createKernelClient(transport);
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

    /** Reads the kernel's state while events buffer, then replays them on top. */
    const synchronise = async (full: boolean): Promise<void> => {
      buffer ??= [];
      try {
        if (full) {
          const [info, processes, agents] = await Promise.all([
            client.call('kernel.info', {}),
            client.call('proc.list', {}),
            client.call('gallery.list', {}),
          ]);
          if (stopped) return;
          actions().loadSnapshot({ info, processes, agents });
        } else {
          const processes = await client.call('proc.list', {});
          if (stopped) return;
          actions().resyncProcesses(processes);
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

    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
      flush();
      client.close();
    };
    transport.onClose((reason) => {
      if (stopped) return;
      stop();
      if (mine === generation) actions().connectionChanged('closed', `the connection to the kernel closed (${reason})`);
    });

    session = { client, stop };
    actions().connectionOpened(client);
    await synchronise(true);
  }

  return {
    start() {
      const fromUrl = tokenFromLocation(options.location);
      if (fromUrl) void connect(fromUrl);
      else actions().connectionChanged('needs-token');
    },
    connect,
    reconnect: () => (token ? connect(token) : Promise.resolve(actions().connectionChanged('needs-token'))),
    dispose() {
      generation += 1;
      session?.stop();
      session = null;
    },
  };
}
