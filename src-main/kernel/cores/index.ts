export { CorePool, type CorePoolOptions } from './core-pool.js';
export { registerCoresApi } from './cores-api.js';
export { callJson, callStream, CoreFault, DEFAULT_REMOTE_LIMITS, type RemoteLimits, type RemoteTarget } from './remote-http.js';
export { OPENAI_CONCURRENCY } from './openai-core.js';
export type { RemoteCore } from './core.js';
