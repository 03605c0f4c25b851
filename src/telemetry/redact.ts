/** A copy of `url` with each query parameter's value replaced: the names say enough in a trace. */
export function redactedQuery(url: URL): URL {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  for (const name of new Set(copy.searchParams.keys())) copy.searchParams.set(name, 'REDACTED');
  return copy;
}

/** `GET /actors/{id}`: the route template (as the spec writes it), never the raw URL. */
export function routeSpanName(method: string, route: string | undefined): string {
  return route === undefined ? `${method} unmatched` : `${method} ${route.replace(/:(\w+)/g, '{$1}')}`;
}
