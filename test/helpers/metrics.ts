/** The value of one Prometheus sample line, e.g. `name{labels} 3`; undefined when the series is absent. */
export function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
