export { MemoryManager, summarize, type PageOutBlock, type MemoryEmbedder } from './memory-manager.js';
export { MemoryStore, type MemoryBlock, type RecalledBlock } from './memory-store.js';
export { memoryBlocks, registerMemoryApi, registerMemorySyscalls, type MemoryAccess } from './memory-api.js';
