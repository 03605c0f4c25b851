import { randomBytes, timingSafeEqual } from 'node:crypto';
import { inSpan } from '../telemetry/tracing.ts';
import { HashPool, type HashPoolOptions } from './hash-pool.ts';

/** argon2id's cost: memory in KiB, passes over it, lanes. */
export interface Argon2Params {
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

type HashParams = ({ algorithm: 'argon2id' } & Argon2Params) | ({ algorithm: 'scrypt' } & ScryptParams);

/**
 * OWASP's first recommended argon2id setting (m = 19 MiB, t = 2, p = 1), the least HASH_MEMORY_KIB and
 * HASH_PASSES allow. Each hash records its own parameters, so raising them is a setting: older hashes still
 * verify and are rewritten at the owner's next login.
 */
export const OWASP_ARGON2: Readonly<Argon2Params> = Object.freeze({ memoryKiB: 19_456, passes: 2, parallelism: 1 });

export const MAX_PASSWORD_BYTES = 1024;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const ARGON2_VERSION = 'v=19';

export const DEFAULT_HASHING: Readonly<HashPoolOptions> = Object.freeze({ workers: 2, queue: 64 });
let pool = new HashPool(DEFAULT_HASHING);
let current: Readonly<Argon2Params> = OWASP_ARGON2;

/**
 * The process's hashing threads and queue (HASH_WORKERS, HASH_QUEUE) and the cost of new hashes
 * (HASH_MEMORY_KIB, HASH_PASSES); a previous pool finishes and stops.
 */
export function configureHashing(options: HashPoolOptions & { memoryKiB: number; passes: number }): void {
  if (options.memoryKiB !== current.memoryKiB || options.passes !== current.passes) {
    current = Object.freeze({ memoryKiB: options.memoryKiB, passes: options.passes, parallelism: 1 });
    dummy = undefined;
  }
  if (options.workers === pool.options.workers && options.queue === pool.options.queue) return;
  const previous = pool;
  pool = new HashPool({ workers: options.workers, queue: options.queue });
  void previous.close();
}

/** The cost new hashes are made with. */
export function currentParams(): Readonly<Argon2Params> {
  return current;
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
  params: HashParams,
  length: number,
  abandoned?: Abandoned,
): Promise<Buffer> {
  // The span shows the wait for a free thread as well as the hash: the queue is where a login flood shows.
  const attributes = { 'marquee.hash.algorithm': params.algorithm, 'marquee.hash.queued': pool.queued };
  return inSpan('password hash', attributes, () => pool.derive({ password, salt, length, ...params }, abandoned));
}

/** PHC string format: standard base64 without padding. */
const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`, the PHC string format other argon2 libraries read too. */
export async function hashPassword(
  password: string,
  params: Argon2Params = current,
  abandoned?: Abandoned,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, { algorithm: 'argon2id', ...params }, KEY_BYTES, abandoned);
  const { memoryKiB: m, passes: t, parallelism: p } = params;
  return `$argon2id$${ARGON2_VERSION}$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(key)}`;
}

interface ParsedHash {
  params: HashParams;
  salt: Buffer;
  key: Buffer;
}

const POSITIVE = /^[1-9]\d{0,9}$/;
const ARGON2_PARAMS = /^m=([1-9]\d{0,9}),t=([1-9]\d{0,9}),p=([1-9]\d{0,9})$/;
const BASE64 = /^[A-Za-z0-9+/]+$/;

function withKey(params: HashParams, salt: Buffer, key: Buffer): ParsedHash | undefined {
  return salt.length >= 8 && key.length >= 16 ? { params, salt, key } : undefined;
}

/** Limits keep a corrupted row from making one login allocate gigabytes or spin for minutes. */
function parseArgon2(parts: string[]): ParsedHash | undefined {
  const [, , version, costs, salt, key] = parts as [string, string, string, string, string, string];
  const cost = ARGON2_PARAMS.exec(costs);
  if (version !== ARGON2_VERSION || !cost || !BASE64.test(salt) || !BASE64.test(key)) return undefined;
  const [memoryKiB, passes, parallelism] = cost.slice(1).map(Number) as [number, number, number];
  if (memoryKiB > 1_048_576 || passes > 16 || parallelism > 16 || memoryKiB < 8 * parallelism) return undefined;
  const params: HashParams = { algorithm: 'argon2id', memoryKiB, passes, parallelism };
  return withKey(params, Buffer.from(salt, 'base64'), Buffer.from(key, 'base64'));
}

/** `scrypt$N$r$p$salt$hash` (base64url), the format before argon2id: still checked, then replaced. */
function parseScrypt(parts: string[]): ParsedHash | undefined {
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  if (!POSITIVE.test(n) || !POSITIVE.test(r) || !POSITIVE.test(p)) return undefined;
  const params: HashParams = { algorithm: 'scrypt', N: Number(n), r: Number(r), p: Number(p) };
  if (params.N > 2 ** 20 || params.r > 32 || params.p > 16) return undefined;
  return withKey(params, Buffer.from(salt, 'base64url'), Buffer.from(key, 'base64url'));
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6) return undefined;
  if (parts[0] === '' && parts[1] === 'argon2id') return parseArgon2(parts);
  if (parts[0] === 'scrypt') return parseScrypt(parts);
  return undefined;
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

/** True when the hash is scrypt, or argon2id weaker than today's setting (rewrite it after a successful login). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (parsed === undefined || parsed.params.algorithm !== 'argon2id') return true;
  const { memoryKiB, passes } = parsed.params;
  return memoryKiB < current.memoryKiB || passes < current.passes || parsed.key.length < KEY_BYTES;
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, minLength: number): string | undefined {
  if ([...password].length < minLength) return `must be at least ${minLength} characters`;
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    return `must be at most ${MAX_PASSWORD_BYTES} bytes`;
  return undefined;
}
