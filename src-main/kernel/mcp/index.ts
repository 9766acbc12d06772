export { McpClients, type McpClientsOptions } from './mcp-clients.js';
export { ExternalProcess, type ExternalHost } from './external-process.js';
export { exposedToolName, cleanInputSchema } from './tool-naming.js';
export { registerMcpApi } from './mcp-api.js';
