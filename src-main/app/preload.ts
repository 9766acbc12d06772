/**
 * The preload: the renderer's only way to the kernel. It exposes one small object (invoke,
 * subscribe → unsubscribe) under `window.amk`, never `ipcRenderer` itself, and only on the amk:
 * channels. Bundled to CommonJS (sandboxed preloads may require nothing but electron).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AmkBridge, BridgeReply, KernelEvent } from '../../src-shared/index.js';
import { BRIDGE_CHANNELS, BRIDGE_PREFIX } from '../../src-shared/bridge.contract.js';

for (const channel of Object.values(BRIDGE_CHANNELS)) {
  if (!channel.startsWith(BRIDGE_PREFIX)) throw new Error(`bridge channel ${channel} lacks the ${BRIDGE_PREFIX} prefix`);
}

const listeners = new Set<(event: KernelEvent) => void>();
ipcRenderer.on(BRIDGE_CHANNELS.event, (_event: IpcRendererEvent, payload: KernelEvent) => {
  for (const listener of listeners) listener(payload);
});

const bridge = {
  async invoke(method, params) {
    const reply = (await ipcRenderer.invoke(BRIDGE_CHANNELS.invoke, { method, params })) as BridgeReply;
    // contextBridge keeps only an Error's message: the coded payload travels in it, as JSON.
    if (!reply.ok) throw new Error(JSON.stringify(reply.error));
    return reply.result as never;
  },
  subscribe(listener) {
    listeners.add(listener);
    if (listeners.size === 1) ipcRenderer.send(BRIDGE_CHANNELS.subscribe);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) ipcRenderer.send(BRIDGE_CHANNELS.unsubscribe);
    };
  },
  pathForFile(file) {
    // Only the path of a File the user picked or dropped: the renderer cannot name arbitrary paths this way.
    return webUtils.getPathForFile(file as File);
  },
} satisfies AmkBridge;

contextBridge.exposeInMainWorld('amk', bridge);
