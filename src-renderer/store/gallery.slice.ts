import type { AgentManifest, ToolManifest } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

export interface GallerySlice {
  /** The agents the kernel's gallery offers, as it listed them. */
  agents: readonly AgentManifest[];
  /** The tools the kernel loaded, to describe what an agent's tools may touch. */
  tools: readonly ToolManifest[];
}

export const createGallerySlice: SliceCreator<GallerySlice> = () => ({
  agents: [],
  tools: [],
});
