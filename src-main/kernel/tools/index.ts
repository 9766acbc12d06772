export { ToolRegistry, type ToolProvider, type ToolCallContext } from './tool-registry.js';
export { builtinTools } from './builtin-tools.js';
