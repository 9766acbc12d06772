export { startKernelServer, type KernelServer, type KernelServerOptions } from './kernel-server.js';
export { connectKernel } from './node-transport.js';
export { writeConnectionFile, readConnectionFile, removeConnectionFile, type ConnectionInfo } from './connection-file.js';
