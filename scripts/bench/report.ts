/** Medians, ratios within each round, the tables and the targets' verdicts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measured } from './load.ts';
import { root } from './processes.ts';

export interface Result extends Measured {
  scenario: string;
  round: number;
  /** For the scale table: the data set's multiple. */
  scale?: number;
  loopDelayMs?: { p99: number; max: number };
  /** CPU time the serving process used per answered request, in µs (processes.ts cpuMs). */
  cpuUs?: number;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN);
};

export interface Summary extends Measured {
  scenario: string;
  cpuUs: number;
}

export function summarize(results: Result[]): Summary[] {
  return [...new Set(results.map((r) => r.scenario))].map((scenario) => {
    const rs = results.filter((r) => r.scenario === scenario);
    return {
      scenario,
      requests: rs.reduce((s, r) => s + r.requests, 0),
      rps: Math.round(median(rs.map((r) => r.rps))),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
      errors: rs.reduce((s, r) => s + r.errors, 0),
      cpuUs: median(rs.flatMap((r) => (r.cpuUs === undefined ? [] : [r.cpuUs]))),
    };
  });
}

/**
 * a's req/s over b's, taken in each round (the two ran minutes apart at most, on the same machine state) and
 * then the median over rounds: the machine's drift cancels out of the ratio. For `cpuUs` it is b's CPU per
 * request over a's, so that on every field above 1 means a did better.
 */
export function ratio(
  results: Result[],
  a: (r: Result) => boolean,
  b: (r: Result) => boolean,
  field: 'rps' | 'p99' | 'cpuUs' = 'rps',
): number | null {
  const rounds = [...new Set(results.map((r) => r.round))];
  const ratios = rounds.flatMap((round) => {
    const x = results.find((r) => r.round === round && a(r))?.[field];
    const y = results.find((r) => r.round === round && b(r))?.[field];
    if (x === undefined || y === undefined || x <= 0 || y <= 0) return [];
    return [field === 'cpuUs' ? y / x : x / y];
  });
  return ratios.length === 0 ? null : median(ratios);
}

export const named = (name: string, scale?: number) => (r: Result) =>
  r.scenario === name && (scale === undefined || r.scale === scale);

export const fixed = (x: number | null, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));

export function printTable(results: Result[], ratioTo: Map<string, string | undefined>): Summary[] {
  const summary = summarize(results.filter((r) => r.scale === undefined));
  console.log('| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | CPU µs/req | ratio by req/s; by CPU per request (medians of rounds) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const s of summary) {
    const base = ratioTo.get(s.scenario);
    const x = base ? ratio(results, named(s.scenario), named(base)) : null;
    const c = base ? ratio(results, named(s.scenario), named(base), 'cpuUs') : null;
    const shown = x === null ? '' : `${fixed(x)}×; ${fixed(c)}× ${base}`;
    const cpu = Number.isNaN(s.cpuUs) ? '' : Math.round(s.cpuUs);
    console.log(`| ${s.scenario} | ${s.rps} | ${s.p50} | ${s.p99} | ${s.non2xx} | ${s.errors} | ${cpu} | ${shown} |`);
  }
  return summary;
}

/** Detail reads must stay within 10 % of their 1× figure, lists with totals within 30 %. */
const flatEnough = (scenario: string) => (scenario.includes('{id}') ? 0.9 : 0.7);

export function printScaleTable(results: Result[], scales: number[]): { scenario: string; ratios: (number | null)[]; met: boolean }[] {
  const rows = results.filter((r) => r.scale !== undefined);
  if (rows.length === 0) return [];
  const first = scales[0] ?? 1;
  console.log(`\ncost as the data grows (req/s median (p50 ms; the service's CPU µs per request); ratio to ${first}× within each round):`);
  console.log(`| scenario | ${scales.map((s) => `${s}× req/s (p50)`).join(' | ')} | ${scales.slice(1).map((s) => `${s}×/${first}×`).join(' | ')} | target |`);
  console.log(`|---|${scales.map(() => '---:').join('|')}|${scales.slice(1).map(() => '---:').join('|')}|---|`);
  const out = [];
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    const cells = scales.map((scale) => {
      const rs = rows.filter(named(scenario, scale));
      const cpu = median(rs.flatMap((r) => (r.cpuUs === undefined ? [] : [r.cpuUs])));
      return `${Math.round(median(rs.map((r) => r.rps)))} (${median(rs.map((r) => r.p50))}; ${Number.isNaN(cpu) ? '–' : Math.round(cpu)})`;
    });
    const ratios = scales.slice(1).map((scale) => ratio(rows, named(scenario, scale), named(scenario, first)));
    const limit = flatEnough(scenario);
    const met = ratios.every((x) => x !== null && x >= limit);
    console.log(
      `| ${scenario} | ${cells.join(' | ')} | ${ratios.map((x) => fixed(x)).join(' | ')} | ≥ ${limit}: ${met ? 'met' : 'MISSED'} |`,
    );
    out.push({ scenario, ratios, met });
  }
  return out;
}

export function writeResults(data: Record<string, unknown>): void {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, 'bench/results', `${new Date().toISOString().replaceAll(':', '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`written ${file}`);
}
