export { Sandbox, type SandboxOptions } from './sandbox.js';
export { WasmToolProvider } from './wasm-tool-provider.js';
export { authorizeCall, authorizeNeeds, auditToolRun, type SandboxServices } from './authorize.js';
export { loadCatalog, verifyPlugin, type VerifiedPlugin, type CatalogLoad } from './plugin-catalog.js';
export { GrantStore } from './grant-store.js';
export { GrantBroker } from './grant-broker.js';
export { normalizeGrantCapability, resolveRealPath, type NeededCapability } from './capability-check.js';
export { declaredMemories } from './wasm-memory.js';
