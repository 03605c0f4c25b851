import { randomBytes, timingSafeEqual } from 'node:crypto';
import { inSpan } from '../telemetry/tracing.ts';
import { HashPool, type HashPoolOptions } from './hash-pool.ts';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * scrypt's interactive-login parameters (32 MiB, tens of milliseconds). Each hash records its own, so they can
 * be raised here later: older hashes still verify and are rewritten at the owner's next login.
 */
export const CURRENT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

export const MAX_PASSWORD_BYTES = 1024;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const SCHEME = 'scrypt';

export const DEFAULT_HASHING: Readonly<HashPoolOptions> = Object.freeze({ workers: 2, queue: 64 });
let pool = new HashPool(DEFAULT_HASHING);

/** The process's hashing threads and queue (HASH_WORKERS, HASH_QUEUE); the previous pool finishes and stops. */
export function configureHashing(options: HashPoolOptions): void {
  if (options.workers === pool.options.workers && options.queue === pool.options.queue) return;
  const previous = pool;
  pool = new HashPool(options);
  void previous.close();
}

/** The pool in use, for tests that count hashes or watch the queue. */
export function hashingPool(): HashPool {
  return pool;
}

/** Whether the client is gone: its queued hash is then dropped. */
export type Abandoned = () => boolean;

function derive(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  length: number,
  abandoned?: Abandoned,
): Promise<Buffer> {
  // The span shows the wait for a free thread as well as the hash: the queue is where a login flood shows.
  const attributes = { 'marquee.hash.scheme': SCHEME, 'marquee.hash.queued': pool.queued };
  return inSpan('password hash', attributes, () => pool.derive({ password, salt, ...params, length }, abandoned));
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashPassword(
  password: string,
  params: ScryptParams = CURRENT_PARAMS,
  abandoned?: Abandoned,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES, abandoned);
  return [SCHEME, params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const POSITIVE = /^[1-9]\d{0,9}$/;

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return undefined;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  if (!POSITIVE.test(n) || !POSITIVE.test(r) || !POSITIVE.test(p)) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  // A corrupted row must not make one login allocate gigabytes.
  if (params.N > 2 ** 20 || params.r > 32 || params.p > 16) return undefined;
  const parsed = { params, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
  return parsed.salt.length > 0 && parsed.key.length > 0 ? parsed : undefined;
}

let dummy: Promise<ParsedHash> | undefined;

/** A hash of nobody's password, so that checking an unknown user costs what checking a known one does. */
function dummyHash(): Promise<ParsedHash> {
  dummy ??= hashPassword(randomBytes(16).toString('base64url')).then(
    (hash) => parseHash(hash)!,
    (error: unknown) => {
      // A full queue: try again on the next need rather than keep the refusal.
      dummy = undefined;
      throw error;
    },
  );
  return dummy;
}

/**
 * Whether `password` matches `stored`. With no stored hash (unknown user) or an unusable one, a dummy hash is
 * checked instead and the answer is false: the caller's timing says nothing about which case it was.
 */
export async function verifyPassword(
  password: string,
  stored: string | undefined,
  abandoned?: Abandoned,
): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parseHash(stored);
  const target = parsed ?? (await dummyHash());
  const key = await derive(password, target.salt, target.params, target.key.length, abandoned);
  return timingSafeEqual(key, target.key) && parsed !== undefined;
}

/** True when the hash was made with other parameters than today's (rewrite it after a successful login). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return (
    parsed === undefined ||
    parsed.params.N !== CURRENT_PARAMS.N ||
    parsed.params.r !== CURRENT_PARAMS.r ||
    parsed.params.p !== CURRENT_PARAMS.p ||
    parsed.key.length !== KEY_BYTES
  );
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, minLength: number): string | undefined {
  if ([...password].length < minLength) return `must be at least ${minLength} characters`;
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    return `must be at most ${MAX_PASSWORD_BYTES} bytes`;
  return undefined;
}
