import type { AppDeps } from '../deps.ts';
import { notImplemented } from '../spec/not-implemented.ts';

export function createMetricsHandlers(_deps: AppDeps) {
  return notImplemented(['getRequestCount', 'resetRequestCount']);
}
