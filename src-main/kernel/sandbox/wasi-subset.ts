/**
 * The WASI subset: what the runtimes of other languages (Go's, first) need to start and run a
 * tool, and nothing that reaches outside the plugin. A plugin may import only these functions from
 * `wasi_snapshot_preview1` (checked at load, by name); they are the kernel's own code, not a WASI
 * implementation with a file system behind it:
 *
 * - no arguments and no environment (both empty), no preopened folders (`fd_prestat_get` answers
 *   EBADF, so the runtime finds none), so there is no path to open, and no `path_*`, `fd_read`,
 *   `sock_*` function at all;
 * - stdout and stderr are discarded; the last bytes of stderr are kept, bounded, to explain a
 *   failed call (a Go panic traps), and stdin does not exist;
 * - the clock is the host's, random bytes come from the host's CSPRNG, and `poll_oneoff` can only
 *   sleep (inside the call's time budget: the watchdog stops the worker);
 * - `proc_exit` ends the call with an error, never the worker's process.
 *
 * Listed from the imports of a Go 1.24+ reactor (`GOOS=wasip1 GOARCH=wasm -buildmode=c-shared`).
 */
export const WASI_MODULE = 'wasi_snapshot_preview1';
export const WASI_FUNCTIONS: readonly string[] = [
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_time_get', 'random_get',
  'fd_write', 'fd_close', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_prestat_get', 'fd_prestat_dir_name',
  'poll_oneoff', 'sched_yield', 'proc_exit',
];
/** How much of stderr is kept (the last bytes of one call) to explain a failure. */
export const STDERR_TAIL_BYTES = 16 * 1024;

/**
 * The subset's code, spliced into the plugin worker's source (a string; see plugin-worker-source.ts).
 * It defines `SubsetWasi`, shaped like `node:wasi`'s WASI class, which the Extism SDK drives: it
 * reads `wasiImport`, then calls `initialize` (a reactor) or `start` (anything else) with the
 * instance's memory before the first call.
 */
export const WASI_SUBSET_SOURCE = String.raw`
const ESUCCESS = 0, EBADF = 8, EFAULT = 21, EINVAL = 28;
const STDERR_TAIL = ${STDERR_TAIL_BYTES};
let stderrTail = new Uint8Array(0);
/**
 * What the plugin last wrote to stderr, to explain its failure: from Go's last "panic:" or
 * "fatal error:" line when there is one (its goroutine dump follows), at most 1000 characters.
 */
const stderrSaid = () => {
  const text = new TextDecoder().decode(stderrTail);
  const from = Math.max(text.lastIndexOf('panic: '), text.lastIndexOf('fatal error: '));
  const said = (from >= 0 ? text.slice(from, from + 1000) : text.slice(-1000)).replace(/\s+/g, ' ').trim();
  return said ? ' (stderr: ' + said + ')' : '';
};
const sleeper = new Int32Array(new SharedArrayBuffer(4));

class SubsetWasi {
  constructor() {
    this.memory = null;
    const functions = this.functions();
    this.wasiImport = {};
    for (const name of workerData.wasiNames) {
      if (!Object.hasOwn(functions, name)) throw new Error('the WASI subset names ' + name + ', which has no implementation');
      this.wasiImport[name] = (...args) => {
        try {
          return functions[name](...args);
        } catch (error) {
          if (error instanceof RangeError) return EFAULT;
          throw error;
        }
      };
    }
  }

  initialize(instance) {
    this.memory = instance.exports.memory;
    instance.exports._initialize();
  }

  start(instance) {
    // Not a reactor: the SDK passes an empty _start, and the plugin's exports are called later.
    this.memory = instance.exports.memory;
  }

  view() {
    if (!this.memory) throw new Error('the plugin called WASI before its memory was known');
    return new DataView(this.memory.buffer);
  }

  bytes(offset, length) {
    if (!this.memory) throw new Error('the plugin called WASI before its memory was known');
    if (offset + length > this.memory.buffer.byteLength) throw new RangeError('outside memory');
    return new Uint8Array(this.memory.buffer, offset, length);
  }

  functions() {
    const empty = (countAt, sizeAt) => {
      const view = this.view();
      view.setUint32(countAt, 0, true);
      view.setUint32(sizeAt, 0, true);
      return ESUCCESS;
    };
    const stdio = (fd) => fd === 0 || fd === 1 || fd === 2;
    return {
      args_sizes_get: empty,
      args_get: () => ESUCCESS,
      environ_sizes_get: empty,
      environ_get: () => ESUCCESS,
      clock_time_get: (id, _precision, at) => {
        let now;
        if (id === 0) now = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
        else if (id === 1) now = process.hrtime.bigint();
        else return EINVAL;
        this.view().setBigUint64(at, now, true);
        return ESUCCESS;
      },
      random_get: (at, length) => {
        randomFillSync(this.bytes(at, length));
        return ESUCCESS;
      },
      fd_write: (fd, iovs, count, writtenAt) => {
        if (fd !== 1 && fd !== 2) return EBADF;
        const view = this.view();
        let written = 0;
        for (let i = 0; i < count; i++) {
          const at = view.getUint32(iovs + i * 8, true);
          const length = view.getUint32(iovs + i * 8 + 4, true);
          const data = this.bytes(at, length);
          written += length;
          if (fd === 2 && length > 0) {
            const kept = data.subarray(Math.max(0, length - STDERR_TAIL));
            const joined = new Uint8Array(stderrTail.length + kept.length);
            joined.set(stderrTail);
            joined.set(kept, stderrTail.length);
            stderrTail = joined.slice(Math.max(0, joined.length - STDERR_TAIL));
          }
        }
        view.setUint32(writtenAt, written, true);
        return ESUCCESS;
      },
      fd_close: (fd) => (stdio(fd) ? ESUCCESS : EBADF),
      fd_fdstat_get: (fd, at) => {
        if (!stdio(fd)) return EBADF;
        const view = this.view();
        view.setUint8(at, 2);
        view.setUint8(at + 1, 0);
        view.setUint16(at + 2, 0, true);
        view.setUint32(at + 4, 0, true);
        // fd_read (1<<1) for stdin, fd_write (1<<6) for stdout/stderr, poll_fd_readwrite (1<<27).
        view.setBigUint64(at + 8, BigInt((fd === 0 ? 1 << 1 : 1 << 6) | (1 << 27)), true);
        view.setBigUint64(at + 16, 0n, true);
        return ESUCCESS;
      },
      fd_fdstat_set_flags: (fd) => (stdio(fd) ? ESUCCESS : EBADF),
      fd_prestat_get: () => EBADF,
      fd_prestat_dir_name: () => EBADF,
      sched_yield: () => ESUCCESS,
      poll_oneoff: (subscriptions, events, count, eventCountAt) => {
        const view = this.view();
        let sleepNs = null;
        const ready = [];
        for (let i = 0; i < count; i++) {
          const at = subscriptions + i * 48;
          const userdata = view.getBigUint64(at, true);
          const tag = view.getUint8(at + 8);
          if (tag === 0) {
            const clock = view.getUint32(at + 16, true);
            let timeout = view.getBigUint64(at + 24, true);
            if (view.getUint16(at + 40, true) & 1) {
              const now = clock === 0 ? BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) : process.hrtime.bigint();
              timeout = timeout > now ? timeout - now : 0n;
            }
            if (sleepNs === null || timeout < sleepNs) sleepNs = timeout;
            ready.push({ userdata, type: 0, error: ESUCCESS, timeout });
          } else {
            // No file descriptor can become ready: there are none but the discarded stdio.
            ready.push({ userdata, type: tag, error: EBADF, timeout: 0n });
          }
        }
        const fdEvents = ready.filter((event) => event.type !== 0);
        // Sleep only when nothing else is ready; the call's watchdog bounds the sleep.
        if (fdEvents.length === 0 && sleepNs !== null && sleepNs > 0n) Atomics.wait(sleeper, 0, 0, Number(sleepNs / 1000000n));
        const answered = fdEvents.length > 0 ? fdEvents : ready.filter((event) => event.timeout <= (sleepNs ?? 0n));
        answered.forEach((event, i) => {
          const at = events + i * 32;
          view.setBigUint64(at, event.userdata, true);
          view.setUint16(at + 8, event.error, true);
          view.setUint8(at + 10, event.type);
          for (let byte = 11; byte < 32; byte++) view.setUint8(at + byte, 0);
        });
        view.setUint32(eventCountAt, answered.length, true);
        return ESUCCESS;
      },
      proc_exit: (code) => {
        throw new Error('the plugin exited with code ' + code);
      },
    };
  }
}
`;
