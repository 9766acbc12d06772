export { createKernelMcpSession, type KernelMcpSession } from './kernel-mcp-session.js';
export { createMcpHttpEndpoint, type McpHttpEndpoint } from './mcp-http-endpoint.js';
export { KERNEL_OPERATIONS } from './kernel-operations.js';
