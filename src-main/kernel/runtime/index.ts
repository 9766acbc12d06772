export { AgentProcess, type AgentHost } from './agent-process.js';
export { stepsFromTranscript } from './recovery.js';
export { stepSchema, parseAction, isCompleteJson, toGrammarSchema } from './step-protocol.js';
export { loadGallery, type GalleryLoadResult } from './gallery.js';
