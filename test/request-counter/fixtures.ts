/** Traffic for the request counter's tests: mixed routes, every answer checked. */
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { Agent, request } from 'undici';
import { inject } from '../helpers/app.ts';

export interface Kind {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  status: number;
  token?: string;
}

/** Successes and failures of several kinds: 2xx, 401, 403, 404 and 405, the docs and the counter itself. */
export function mixedKinds(member: string): Kind[] {
  return [
    { method: 'GET', path: '/health', status: 200 },
    { method: 'GET', path: '/no/such/thing', status: 404 },
    { method: 'DELETE', path: '/health', status: 405 },
    { method: 'GET', path: '/request-count/', status: 401 },
    { method: 'POST', path: '/request-count/reset/', status: 403, token: member },
    { method: 'GET', path: '/openapi.json', status: 200 },
    { method: 'GET', path: '/docs', status: 200 },
    { method: 'GET', path: '/request-count/', status: 200, token: member },
  ];
}

/** n concurrent in-process requests of the anonymous kinds, every one answered as expected. */
export async function injectMixed(t: Test, app: FastifyInstance, n: number): Promise<void> {
  const kinds = mixedKinds('').filter((kind) => kind.token === undefined);
  const statuses = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const { method, path, status } = kinds[i % kinds.length]!;
      return (await inject(app, { method, url: path })).statusCode === status;
    }),
  );
  t.equal(statuses.filter((ok) => !ok).length, 0, `all ${n} requests answered as expected`);
}

/** Sends requests and keeps count of every one, since each is counted by the servers. */
export class Traffic {
  sent = 0;
  /** Requests answered with another status than expected, or not answered at all. */
  readonly failures: string[] = [];
  private readonly agent = new Agent({ connections: 16 });

  constructor(t: Test) {
    t.teardown(() => this.agent.close());
  }

  async send(
    base: string,
    kind: Kind,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    this.sent += 1;
    try {
      const response = await request(`${base}${kind.path}`, {
        method: kind.method,
        headers: kind.token ? { authorization: `Bearer ${kind.token}` } : {},
        dispatcher: this.agent,
      });
      const body = await response.body.text();
      if (response.statusCode !== kind.status) {
        this.failures.push(
          `${kind.method} ${base}${kind.path} → ${response.statusCode} ${body.slice(0, 200)}`,
        );
      }
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      this.failures.push(`${kind.method} ${base}${kind.path} → ${(error as Error).message}`);
      return { status: 0, headers: {}, body: '' };
    }
  }

  /** `n` requests at once, spread over the servers and the kinds. */
  async burst(bases: string[], kinds: Kind[], n: number): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, (_, i) => this.send(bases[i % bases.length]!, kinds[i % kinds.length]!)),
    );
  }

  /** GET /request-count/ on one server. */
  async count(base: string, token: string): Promise<{ requests: number; partial: boolean }> {
    const { status, headers, body } = await this.send(base, {
      method: 'GET',
      path: '/request-count/',
      status: 200,
      token,
    });
    if (status !== 200) throw new Error(`GET ${base}/request-count/ answered ${status}: ${body}`);
    return { requests: JSON.parse(body).requests, partial: headers['x-request-count-partial'] === 'true' };
  }

  async reset(base: string, token: string): Promise<void> {
    const { status, body } = await this.send(base, {
      method: 'POST',
      path: '/request-count/reset/',
      status: 200,
      token,
    });
    if (status !== 200) throw new Error(`POST ${base}/request-count/reset/ answered ${status}: ${body}`);
  }
}
