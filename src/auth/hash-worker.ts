// One password-hashing thread of src/auth/hash-pool.ts: scrypt runs synchronously here, on this thread, whose
// priority is lowered so that a flood of logins slows logins, not every other request.
import { scryptSync } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';

export interface HashJob {
  id: number;
  password: string;
  salt: Buffer;
  N: number;
  r: number;
  p: number;
  length: number;
}

try {
  // pid 0: on Linux, the calling thread only.
  setPriority(0, 19);
} catch {
  // Not permitted on this platform: the work still runs, at normal priority.
}

parentPort?.on('message', (job: HashJob) => {
  try {
    const key = scryptSync(job.password.normalize('NFC'), job.salt, job.length, {
      N: job.N,
      r: job.r,
      p: job.p,
      maxmem: 256 * job.N * job.r + 1024 * 1024,
    });
    parentPort?.postMessage({ id: job.id, key });
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
