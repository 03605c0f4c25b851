/** Cost as the data grows: the same reads against services over 1×, 10×, 100× … the data, interleaved. */
import { type Driver, type Measured, probe, run } from './load.ts';
import { type Proc, withCpu } from './processes.ts';
import type { Result } from './report.ts';
import { scaleScenarios } from './scenarios.ts';
import type { Seeded } from './seed.ts';

export interface ScaleRun {
  driver: Driver;
  connections: number;
  rounds: number;
  /** Seconds measured per read and scale, after 1 s of warm-up. */
  duration: number;
  /** Seconds each read is run at each scale before the first round. */
  warmSeconds: number;
  /** Counts the requests each process answered (for CPU profiles). */
  served: <M extends Measured>(url: string, m: M) => M;
}

export async function measureScales(
  scales: number[],
  services: Map<number, Proc>,
  data: Map<number, { seeded: Seeded }>,
  { driver, connections, rounds, duration, warmSeconds, served }: ScaleRun,
): Promise<Result[]> {
  const results: Result[] = [];
  const perScale = scales.map((scale) => scaleScenarios(services.get(scale)!, data.get(scale)!.seeded));
  // Every scale's service is warmed alike before anything is measured: the 1× one may have served the main
  // scenarios for minutes (JIT, pools, stored favourite genres) while the others are fresh.
  for (const [k, scale] of scales.entries()) {
    for (const scenario of perScale[k]!) {
      await probe(`${scenario.name} at ${scale}×`, scenario.load);
      served(scenario.load.url, await run(driver, scenario.load, warmSeconds, connections));
    }
  }
  for (let round = 1; round <= rounds && scales.length > 0; round++) {
    for (let i = 0; i < (perScale[0]?.length ?? 0); i++) {
      // Interleaved: each read at every scale in turn, each time starting at another scale, so the machine's
      // drift and the order hit all scales alike.
      const shift = (round - 1 + i) % scales.length;
      for (const k of scales.keys()) {
        const at = (k + shift) % scales.length;
        const scale = scales[at]!;
        const { load } = perScale[at]![i]!;
        served(load.url, await run(driver, load, 1, connections));
        const pid = services.get(scale)!.child.pid ?? 0;
        const measured = served(load.url, await withCpu(pid, () => run(driver, load, duration, connections)));
        results.push({ scenario: perScale[at]![i]!.name, round, scale, ...measured });
      }
      console.error(`scale round ${round}: ${perScale[0]![i]!.name} done`);
    }
  }
  return results;
}
