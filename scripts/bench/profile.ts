/**
 * Where a request's CPU time goes: a V8 CPU profile (`npm run bench -- --cpu-prof`) summed by self time into
 * the parts of the stack the service adds or needs.
 *
 *   node scripts/bench/profile.ts bench/profiles/CPU.<…>.cpuprofile=service:123456 [more profiles …]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** First match wins: the order puts the specific before the general. */
const CATEGORIES: [string, RegExp][] = [
  ['idle', /^\(idle\)/],
  ['V8 and native, outside any JS frame', /^\((program|root)\)/],
  ['garbage collection', /^\(garbage collector\)/],
  ['logging (pino, serializers, redaction)', /pino|sonic-boom|fast-redact|slow-redact|fastify\/lib\/logger|log-destination/],
  ['request counter (src/metrics, ioredis)', /src\/request-counter\/|ioredis|redis-parser|@fastify\/redis/],
  ['metrics histograms (prom-client, observability)', /prom-client|plugins\/observability/],
  ['security headers (helmet)', /helmet/],
  ['JWT verification (fast-jwt, security handler)', /fast-jwt|@fastify\/jwt|auth\/security|mnemonist|lru/],
  ['validation (ajv)', /ajv|plugins\/validation|fastify\/lib\/validation/],
  ['serialisation (fast-json-stringify)', /fast-json-stringify|json-schema-ref|serializ/],
  ['HTTP: request parsing, response writes (node, Fastify reply)', /fastify\/lib\/reply|^node:(_http|http)/],
  ['routing (find-my-way, openapi glue)', /find-my-way|openapi-glue|fastify\/lib\/route/],
  ['hooks and request lifecycle (fastify)', /fastify\/lib\/|fastify\/fastify|avvio|light-my-request/],
  ['pg, pool, Kysely', /node_modules\/pg|pg-protocol|pg-pool|kysely|src\/db\//],
  ['handlers and queries (src)', /\/src\//],
  ['sockets and streams (node)', /^node:(net|stream|internal\/streams|internal\/stream_base|internal\/net)/],
  ['other node internals', /^node:/],
];

export function categorise(file: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // A sample counts for the innermost library or src/ frame on its stack: a socket write or an HMAC (native,
  // then node's internals) is the cost of whoever asked for it — pg's query, Fastify's reply, the JWT check.
  const owner = (id: number): Node['callFrame'] | undefined => {
    let nodeFrame: Node['callFrame'] | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      if (frame.functionName.startsWith('(') && at === id) return frame;
      if (frame.url.startsWith('node:')) nodeFrame ??= frame;
      else if (frame.url) return frame;
    }
    return nodeFrame ?? byId.get(id)?.callFrame;
  };
  profile.samples.forEach((id, i) => {
    const frame = owner(id);
    const key = frame?.url || frame?.functionName || '';
    const name = CATEGORIES.find(([, pattern]) => pattern.test(key))?.[0] ?? 'other libraries';
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

if (import.meta.main) {
  // Each argument: <profile>[=<label>][:<requests answered>] (the bench prints the count per process).
  const inputs = process.argv.slice(2).map((arg) => {
    const [file = '', requests] = arg.split(':');
    const [path = '', label] = file.split('=');
    return { path, label: label ?? path.split('/').pop() ?? path, requests: Number(requests ?? Number.NaN) };
  });
  const all = inputs.map((input) => categorise(input.path));
  const names = [...new Set(all.flatMap((m) => [...m.keys()]))].filter((n) => n !== 'idle');
  const busy = all.map((m) => [...m].filter(([k]) => k !== 'idle').reduce((s, [, v]) => s + v, 0));
  // µs of CPU per request where the count is known, else the share of the busy time.
  const cell = (m: Map<string, number>, i: number, n: string) => {
    const us = m.get(n) ?? 0;
    const requests = inputs[i]?.requests ?? Number.NaN;
    return Number.isFinite(requests)
      ? `${(us / requests).toFixed(1)} µs (${((us / (busy[i] ?? 1)) * 100).toFixed(0)} %)`
      : `${((us / (busy[i] ?? 1)) * 100).toFixed(1)} %`;
  };
  console.log(`| CPU per request, by part | ${inputs.map((x) => x.label).join(' | ')} |`);
  console.log(`|---|${inputs.map(() => '---:').join('|')}|`);
  const rows = names.sort((a, b) => (all[0]?.get(b) ?? 0) - (all[0]?.get(a) ?? 0));
  for (const n of rows) console.log(`| ${n} | ${all.map((m, i) => cell(m, i, n)).join(' | ')} |`);
  console.log(
    `| **total busy** | ${busy.map((b, i) => { const r = inputs[i]?.requests ?? Number.NaN; return Number.isFinite(r) ? `**${(b / r).toFixed(1)} µs**` : `${(b / 1e6).toFixed(1)} s`; }).join(' | ')} |`,
  );
}
