import type { AppDeps } from '../deps.ts';
import { notImplemented } from '../spec/not-implemented.ts';

export function createCatalogHandlers(_deps: AppDeps) {
  return notImplemented(['listCatalogMovies']);
}
