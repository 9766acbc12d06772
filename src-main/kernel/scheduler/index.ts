export { SlotScheduler, Lease, type SlotRequest, type SliceEnd, type SchedulingStats } from './slot-scheduler.js';
export {
  fairSharePolicy,
  fcfsPolicy,
  niceWeight,
  CLASS_RANK,
  DEFAULT_FAIR_SHARE,
  type SchedulingPolicy,
  type FairShareOptions,
  type Runnable,
} from './scheduling-policy.js';
export { KvSwapper, type SwapLocation } from './kv-swap.js';
