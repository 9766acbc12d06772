export { MemoryManager, summarize, type PageOutBlock, type MemoryEmbedder } from './memory-manager.js';
export { MemoryStore, type MemoryBlock, type RecalledBlock } from './memory-store.js';
