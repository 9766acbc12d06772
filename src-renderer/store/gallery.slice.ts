import type { AgentManifest } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

export interface GallerySlice {
  /** The agents the kernel's gallery offers, as it listed them. */
  agents: readonly AgentManifest[];
}

export const createGallerySlice: SliceCreator<GallerySlice> = () => ({
  agents: [],
});
