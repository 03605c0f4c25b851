// One password-hashing thread of src/auth/hash-pool.ts (a piscina worker): the hash runs synchronously here, on
// this thread, whose priority is lowered so that a flood of logins slows logins, not every other request.
import { argon2Sync, scryptSync } from 'node:crypto';
import { setPriority } from 'node:os';

/** One derivation: argon2id for new hashes, scrypt for hashes stored before it (checked, then replaced). */
export type HashInput = { password: string; salt: Buffer; length: number } & (
  | { algorithm: 'argon2id'; memoryKiB: number; passes: number; parallelism: number }
  | { algorithm: 'scrypt'; N: number; r: number; p: number }
);

try {
  // pid 0: on Linux, the calling thread only.
  setPriority(0, 19);
} catch {
  // Not permitted on this platform: the work still runs, at normal priority.
}

/** The key, or nothing for a job its pool marked as abandoned (its client has gone). */
export default function hash(job: HashInput & { skip?: boolean }): Buffer | undefined {
  if (job.skip) return undefined;
  const password = job.password.normalize('NFC');
  if (job.algorithm === 'argon2id') {
    return argon2Sync('argon2id', {
      message: password,
      nonce: job.salt,
      memory: job.memoryKiB,
      passes: job.passes,
      parallelism: job.parallelism,
      tagLength: job.length,
    });
  }
  return scryptSync(password, job.salt, job.length, {
    N: job.N,
    r: job.r,
    p: job.p,
    maxmem: 256 * job.N * job.r + 1024 * 1024,
  });
}
