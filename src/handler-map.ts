import { createAuthHandlers } from './auth/handlers.ts';
import { createCastingHandlers } from './casting/handlers.ts';
import type { CatalogClient } from './catalog/client.ts';
import { createCatalogHandlers } from './catalog/handlers.ts';
import { createCollectionHandlers } from './collections/handlers.ts';
import type { AppDeps } from './deps.ts';
import { createMessageHandlers } from './messages/handlers.ts';
import { createMetricsHandlers } from './request-counter/handlers.ts';
import { createOperationsHandlers } from './operations/handlers.ts';
import type { Handlers } from './spec/handlers.ts';

/** Every operation of the spec, one handler each: a missing or misspelt one fails to compile. */
export function createHandlers(deps: AppDeps, catalogClient: CatalogClient) {
  return {
    ...createAuthHandlers(deps),
    ...createCastingHandlers(deps),
    ...createCatalogHandlers(deps, catalogClient),
    ...createCollectionHandlers(deps),
    ...createMetricsHandlers(deps),
    ...createMessageHandlers(deps),
    ...createOperationsHandlers(deps),
  } satisfies Handlers;
}
