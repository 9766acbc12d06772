/**
 * A child process with the last-resort handlers installed, for process-guard.test.ts:
 * `rejection` leaves a promise rejection unhandled and then answers each stdin line with
 * `pong LINE`; `exception` throws from a callback. Its "journal flush" writes a line to stderr.
 */
import { createInterface } from 'node:readline';
import { installLastResort } from '../process-guard.js';

const mode = process.argv[2];
installLastResort('test child', () => console.error('flush called'));
if (mode === 'rejection') {
  void Promise.reject(new Error('a forgotten promise'));
  createInterface({ input: process.stdin }).on('line', (line) => console.log(`pong ${line}`));
} else {
  setImmediate(() => {
    throw new Error('a thrown bug');
  });
  // Something to keep the process alive, as a server would.
  setInterval(() => {}, 1000);
}
