export { startKernelServer, type KernelServer, type KernelServerOptions } from './kernel-server.js';
export { connectKernel } from './node-transport.js';
export {
  writeConnectionFile,
  readConnectionFile,
  inspectConnectionFile,
  describeMissingKernel,
  connectionFilePath,
  removeConnectionFile,
  type ConnectionInfo,
  type ConnectionFileState,
} from './connection-file.js';
export { serveKernel, type ServeKernelOptions, type ServedKernel } from './serve-kernel.js';
