/**
 * One load shape, two drivers: wrk (Debian's package, C, one thread) when it is installed, else autocannon.
 * autocannon runs in Node and takes a core from the server on a 2-core machine, so its ratios flatter the slower
 * side; every report says which driver measured it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export interface Load {
  /** http://host:port */
  url: string;
  method?: 'GET' | 'POST';
  /** `{n}` is replaced with a random integer from 1 to `count` on every request. */
  path: string;
  count?: number;
  /** Bearer tokens, one per request in turn. */
  tokens?: string[];
  json?: string;
}

export interface Measured {
  /** Requests answered, for a profile's time per request. */
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export type Driver = 'wrk' | 'autocannon';

export function pickDriver(wanted: string | undefined): Driver {
  const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
  if (wanted === 'autocannon' || !hasWrk) return 'autocannon';
  return 'wrk';
}

function headersOf(load: Load): Record<string, string> {
  return load.json === undefined ? {} : { 'content-type': 'application/json' };
}

const pathOf = (load: Load) =>
  load.path.replace('{n}', String(1 + Math.floor(Math.random() * (load.count ?? 1))));

/** A few requests before a scenario is measured: a wrong id, token or body fails with its answer. */
export async function probe(name: string, load: Load): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const token = load.tokens?.[i % load.tokens.length];
    const res = await fetch(`${load.url}${pathOf(load)}`, {
      method: load.method ?? 'GET',
      headers: { ...headersOf(load), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: load.json,
    });
    const body = await res.text();
    if (res.status < 200 || res.status > 299) throw new Error(`${name}: ${res.status} ${body.slice(0, 300)}`);
  }
}

const lua = (value: string) => JSON.stringify(value);

function wrkScript(load: Load): string {
  const [prefix, suffix = ''] = load.path.split('{n}') as [string, string?];
  const tokens = (load.tokens ?? []).map(lua).join(',\n');
  const headers = Object.entries(headersOf(load))
    .map(([k, v]) => `headers[${lua(k)}] = ${lua(v)}`)
    .join('\n');
  return `
local tokens = {${tokens}}
local count = ${load.count ?? 1}
local prefix, suffix, templated = ${lua(prefix)}, ${lua(suffix)}, ${load.path.includes('{n}')}
local body = ${load.json === undefined ? 'nil' : lua(load.json)}
local i = 0
math.randomseed(os.time())
request = function()
  i = i + 1
  local headers = {}
  ${headers}
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1] end
  local path = prefix
  if templated then path = prefix .. math.random(count) .. suffix end
  return wrk.format(${lua(load.method ?? 'GET')}, path, headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nBENCH {"requests":%d,"duration":%d,"status":%d,"errors":%d,"p50":%f,"p99":%f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

async function runWrk(load: Load, duration: number, connections: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'marquee-wrk-'));
  const script = join(dir, 'load.lua');
  writeFileSync(script, wrkScript(load));
  try {
    const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', '-s', script, load.url];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const line = /^BENCH (.*)$/m.exec(out)?.[1];
    if (code !== 0 || line === undefined) throw new Error(`wrk failed (${code}): ${out.slice(-500)}`);
    const r = JSON.parse(line) as Record<'requests' | 'duration' | 'status' | 'errors' | 'p50' | 'p99', number>;
    return {
      requests: r.requests,
      rps: r.requests / (r.duration / 1e6),
      p50: Math.round(r.p50 / 100) / 10,
      p99: Math.round(r.p99 / 100) / 10,
      non2xx: r.status,
      errors: r.errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runAutocannon(load: Load, duration: number, connections: number): Promise<Measured> {
  let i = 0;
  const result = await autocannon({
    url: load.url,
    duration,
    connections,
    method: load.method ?? 'GET',
    headers: headersOf(load),
    body: load.json,
    requests: [
      {
        setupRequest: (request) => {
          const token = load.tokens?.[i++ % load.tokens.length];
          return {
            ...request,
            path: pathOf(load),
            headers: { ...request.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          };
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export function run(driver: Driver, load: Load, duration: number, connections: number): Promise<Measured> {
  return driver === 'wrk' ? runWrk(load, duration, connections) : runAutocannon(load, duration, connections);
}
