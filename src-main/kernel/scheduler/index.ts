export { SlotScheduler, Lease, LOCAL_CORE, type SlotRequest, type SliceEnd, type SchedulingStats } from './slot-scheduler.js';
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
export { WorkingSet, workingSetLimit, governed, DEFAULT_IDLE_DEMOTE_MS, type WorkingSetBudget, type WorkingSetStats } from './working-set.js';
export { IdleSwapper, IdlenessModel, pickIdleVictims, blockedOn, DEFAULT_IDLE_SWAP, type IdleSwapOptions, type BlockedOn } from './idle-swap.js';
