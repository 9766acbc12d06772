export { Sandbox, type SandboxOptions } from './sandbox.js';
export { WasmToolProvider, type SandboxServices } from './wasm-tool-provider.js';
export { loadCatalog, verifyPlugin, type VerifiedPlugin, type CatalogLoad } from './plugin-catalog.js';
export { GrantStore } from './grant-store.js';
export { GrantBroker } from './grant-broker.js';
export { normalizeGrantCapability, resolveRealPath } from './capability-check.js';
export { declaredMemories } from './wasm-memory.js';
