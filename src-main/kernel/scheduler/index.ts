export { SlotScheduler, strictPriorityPolicy, type SchedulerPolicy, type SlotRequest } from './slot-scheduler.js';
