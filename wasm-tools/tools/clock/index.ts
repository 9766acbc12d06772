// clock: the current date and time, from the kernel (the sandbox has no clock of its own).
import { relay } from '../../lib/io';
import { clock } from '../../lib/kernel';

export function run(): i32 {
  return relay(clock());
}
