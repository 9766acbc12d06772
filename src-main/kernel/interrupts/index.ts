export { InterruptController, type InterruptHost } from './interrupt-controller.js';
export { WebhookListener } from './sources.js';
export { parseCron, type CronSchedule } from './cron.js';
export { bindHandler, registerInterruptsApi } from './interrupts-api.js';
