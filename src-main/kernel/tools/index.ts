export { ToolRegistry, type ToolProvider, type ToolCallContext } from './tool-registry.js';
