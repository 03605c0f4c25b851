import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '../db/index.ts';
import { AppError, retryAfter } from '../errors/index.ts';
import { findUserByEmail, findUserByUsername } from './queries.ts';

/** The first wait once an account's free failures are used up; each further failure doubles it. */
const BASE_DELAY_MS = 1000;
/** An account's failures are forgotten after this long without another one. */
export const FORGET_AFTER_MS = 15 * 60_000;
/** Accounts the in-process store remembers; the oldest is forgotten first. */
const MAX_ACCOUNTS = 10_000;

export interface BackoffOptions {
  /** Failed logins an account may have before each further attempt must wait. */
  freeFailures: number;
  /** The longest wait: short enough that an attacker cannot keep the owner out for long. */
  maxDelayMs: number;
}

/** How long this failure makes the account's next attempt wait. */
function delayAfter(failures: number, { freeFailures, maxDelayMs }: BackoffOptions): number {
  if (failures < freeFailures) return 0;
  return Math.min(maxDelayMs, BASE_DELAY_MS * 2 ** Math.min(30, failures - freeFailures));
}

/**
 * Every attempt counts as a failure until it succeeds (so a burst of guesses sent at once is counted at once);
 * a blocked attempt is not counted. Returns 0 to go ahead, or the milliseconds to wait.
 */
const ATTEMPT = `
local now = tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if blocked > now then return blocked - now end
local failures = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free, base, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if failures >= free then
  redis.call('HSET', KEYS[1], 'until', now + math.min(max, base * 2 ^ math.min(30, failures - free)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
`;

/** A failure is known once its password was checked: its wait runs from then, not from when it was counted. */
const FAILED = `
local failures = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local free, base, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if failures >= free then
  local untl = tonumber(ARGV[1]) + math.min(max, base * 2 ^ math.min(30, failures - free))
  if untl > tonumber(redis.call('HGET', KEYS[1], 'until') or '0') then redis.call('HSET', KEYS[1], 'until', untl) end
end
return 0
`;

interface Entry {
  failures: number;
  until: number;
  forgetAt: number;
}

/**
 * Slows repeated failed logins for one account from any address: after `freeFailures`, each attempt waits 1 s,
 * 2 s, 4 s… up to `maxDelayMs`; a success clears it. Never a lockout: the owner gets in after the wait. In Redis
 * when the app has one (every replica sees every failure), in this process otherwise and while Redis is away.
 */
export class LoginBackoff {
  private readonly local = new Map<string, Entry>();
  private readonly options: BackoffOptions;
  private readonly redis: Redis | undefined;
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;
  private readonly log: FastifyBaseLogger;

  constructor(
    options: BackoffOptions,
    shared: { redis: Redis | undefined; keyPrefix: string; timeoutMs: number; log: FastifyBaseLogger },
  ) {
    this.options = options;
    this.redis = shared.redis;
    this.keyPrefix = `${shared.keyPrefix}login-failures:`;
    this.timeoutMs = shared.timeoutMs;
    this.log = shared.log;
  }

  /** Counts an attempt for `account`; the milliseconds it must wait first, or 0. */
  async attempt(account: string): Promise<number> {
    const now = Date.now();
    const shared = await this.inRedis((redis) =>
      redis.eval(
        ATTEMPT,
        1,
        this.keyPrefix + account,
        now,
        this.options.freeFailures,
        BASE_DELAY_MS,
        this.options.maxDelayMs,
        FORGET_AFTER_MS,
      ),
    );
    if (shared !== undefined) return Number(shared);
    let entry = this.local.get(account);
    if (entry === undefined || entry.forgetAt <= now) entry = { failures: 0, until: 0, forgetAt: 0 };
    if (entry.until > now) return entry.until - now;
    entry.failures += 1;
    entry.until = now + delayAfter(entry.failures, this.options);
    entry.forgetAt = now + FORGET_AFTER_MS;
    this.local.delete(account);
    this.local.set(account, entry);
    if (this.local.size > MAX_ACCOUNTS) this.local.delete(this.local.keys().next().value!);
    return 0;
  }

  /** The attempt was refused: the account's wait starts again now, so a slow password check does not use it up. */
  async failed(account: string): Promise<void> {
    const now = Date.now();
    const { freeFailures, maxDelayMs } = this.options;
    const args = [now, freeFailures, BASE_DELAY_MS, maxDelayMs];
    const shared = await this.inRedis((redis) => redis.eval(FAILED, 1, this.keyPrefix + account, ...args));
    if (shared !== undefined) return;
    const entry = this.local.get(account);
    if (entry !== undefined) entry.until = Math.max(entry.until, now + delayAfter(entry.failures, this.options));
  }

  /** The account's owner got in: its failures are forgotten. */
  async succeeded(account: string): Promise<void> {
    this.local.delete(account);
    await this.inRedis((redis) => redis.del(this.keyPrefix + account));
  }

  /** The command's answer, or undefined when there is no Redis or it does not answer in time. */
  private async inRedis<T>(command: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    const redis = this.redis;
    if (redis === undefined || redis.status !== 'ready') return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(redis),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), this.timeoutMs);
        }),
      ]);
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'login backoff: Redis failed; counting in this process');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The account a login names, as the password check will find it (the name trimmed, compared case-insensitively by
 * the database): `user:<id>` when it exists, so that its username, its email and every spelling of either share one
 * allowance; the name as given otherwise.
 */
async function accountOf(db: Database, body: unknown): Promise<string | undefined> {
  const { username, email } = (body ?? {}) as { username?: unknown; email?: unknown };
  const [column, name] =
    typeof username === 'string' ? ['username', username] : typeof email === 'string' ? ['email', email] : [];
  if (column === undefined || name === undefined) return undefined;
  const user = column === 'username' ? await findUserByUsername(db, name.trim()) : await findUserByEmail(db, name.trim());
  return user ? `user:${user.id}` : `${column}:${name.trim().toLowerCase()}`;
}

/** Route hooks of a login operation: wait before the password is checked, forget the failures after a success. */
export function loginBackoffHooks(backoff: LoginBackoff, db: Database) {
  const accounts = new WeakMap<FastifyRequest, string>();
  return {
    async preHandler(request: FastifyRequest): Promise<void> {
      const account = await accountOf(db, request.body);
      if (account === undefined) return;
      const waitMs = await backoff.attempt(account);
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        throw new AppError('rate_limited', `too many failed logins for this account, retry in ${seconds} s`, {
          headers: retryAfter(seconds),
        });
      }
      accounts.set(request, account);
    },
    /** Before the answer leaves, so a client that sends its next attempt at once meets the updated count. */
    async onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
      const account = accounts.get(request);
      if (account !== undefined && reply.statusCode < 300) await backoff.succeeded(account);
      else if (account !== undefined && reply.statusCode === 401) await backoff.failed(account);
      return payload;
    },
  };
}
