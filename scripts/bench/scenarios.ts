/** What the benchmark measures: the scenarios, their tokens, and the login stream that runs beside a read. */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Load, Measured } from './load.ts';
import type { Proc } from './processes.ts';
import { LOGIN_PASSWORD, type Seeded } from './seed.ts';

export const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface Scenario {
  name: string;
  load: Load;
  /** The scenario whose req/s this one is compared with in the table. */
  ratioTo?: string;
  /** Read this instance's event-loop delay over the scenario. */
  watch?: Proc;
  /** Log in on this instance at the login rate meanwhile. */
  logins?: Proc;
}

export const ACTOR_READ = 'GET /actors/{id}';
export const BASELINE = `baseline ${ACTOR_READ}`;

function sign(payload: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(
    JSON.stringify({ ...payload, iat: now, exp: now + 3600, iss: 'marquee', aud: 'marquee' }),
  ).toString('base64url');
  const signature = createHmac('sha256', JWT_SECRET).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/** Tokens as the service would issue them: the assistant reads casting, members own collections and messages. */
export function tokensFor(seeded: Seeded): { assistant: string; members: string[] } {
  return {
    assistant: sign({
      sub: String(seeded.loginUserId),
      username: 'bench-login',
      role: 'casting_assistant',
      permissions: ['get:actors', 'get:actor-details', 'get:movies', 'get:movie-details'],
    }),
    members: seeded.members.map((member) =>
      sign({ sub: String(member.id), username: member.username, role: 'member', permissions: [] }),
    ),
  };
}

export const actorReads = (target: Proc, seeded: Seeded, assistant: string): Load => ({
  url: target.url,
  path: '/actors/{n}',
  count: seeded.actors,
  tokens: [assistant],
});

/** The reads whose cost must stay flat as the data grows (`--scale`). */
export function scaleScenarios(target: Proc, seeded: Seeded): Scenario[] {
  const { assistant, members } = tokensFor(seeded);
  return [
    { name: ACTOR_READ, load: actorReads(target, seeded, assistant) },
    {
      name: 'GET /movies/{id}',
      load: { url: target.url, path: '/movies/{n}', count: seeded.movies, tokens: [assistant] },
    },
    {
      name: 'GET /actors?limit=20 (total)',
      load: { url: target.url, path: '/actors?limit=20&page=3', tokens: [assistant] },
    },
    {
      name: 'GET /movies?limit=20 (total)',
      load: { url: target.url, path: '/movies?limit=20&page=3', tokens: [assistant] },
    },
    { name: 'GET /collection/', load: { url: target.url, path: '/collection/', tokens: members } },
    {
      name: 'GET /api/messages?limit=20 (total)',
      load: { url: target.url, path: '/api/messages?limit=20&offset=40' },
    },
  ];
}

/** Everything else a service instance serves, beside the scale reads. */
export function serviceScenarios(target: Proc, seeded: Seeded, upstreamPages: number): Scenario[] {
  const { members } = tokensFor(seeded);
  const [actorRead, ...reads] = scaleScenarios(target, seeded) as [Scenario, ...Scenario[]];
  return [
    { ...actorRead, watch: target },
    { name: 'GET /health', load: { url: target.url, path: '/health' } },
    ...reads,
    { name: 'GET /api/messages/{id} (a write per read)', load: { url: target.url, path: `/api/messages/${seeded.messageId}` } },
    {
      name: 'POST /api/messages',
      load: {
        url: target.url,
        method: 'POST',
        path: '/api/messages',
        tokens: members.slice(0, 1),
        json: JSON.stringify({ content: 'Benchmark says hello' }),
      },
    },
    {
      name: 'GET /catalog/movies (upstream 20 ms)',
      load: { url: target.url, path: '/catalog/movies?page={n}', count: upstreamPages, tokens: members.slice(0, 1) },
    },
  ];
}

export interface LoginResult extends Measured {
  asked: number;
  /** Logins answered 200, and refused with 503 (the hashing queue full). */
  ok: number;
  refused: number;
}

/**
 * Logins at an even rate for `duration` seconds, each sent on schedule whether or not the earlier ones have been
 * answered (a load generator's rate limit holds a connection until its answer: bursts, and fewer logins than
 * asked whenever hashing falls behind).
 */
export async function logins(url: string, perSecond: number, duration: number): Promise<LoginResult> {
  // Many people signing in, as a login stream is: one account signing in 30 times a second is a guessing burst,
  // which the per-account backoff slows on purpose (src/auth/login-backoff.ts). The seed's members share a password.
  const bodyOf = (i: number) => JSON.stringify({ username: `bench-user-${(i % 200) + 1}`, password: LOGIN_PASSWORD });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let ok = 0;
  let refused = 0;
  const one = async (body: string) => {
    const started = performance.now();
    try {
      const res = await fetch(`${url}/api/auth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      if (res.status < 200 || res.status > 299) non2xx += 1;
      if (res.status === 200) ok += 1;
      if (res.status === 503) refused += 1;
      latencies.push(performance.now() - started);
    } catch {
      errors += 1;
    }
  };
  const sent: Promise<void>[] = [];
  const count = perSecond * duration;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(0, start + (i * 1000) / perSecond - performance.now()));
    sent.push(one(bodyOf(i)));
  }
  await Promise.all(sent);
  const finished = performance.now();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    requests: latencies.length,
    // Answered logins per second, until the last answer: below the rate asked when hashing fell behind.
    rps: latencies.length / ((finished - start) / 1000),
    p50: at(0.5),
    p99: at(0.99),
    non2xx,
    errors,
    asked: count,
    ok,
    refused,
  };
}
