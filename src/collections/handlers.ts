import type { AppDeps } from '../deps.ts';
import { notImplemented } from '../spec/not-implemented.ts';

export function createCollectionHandlers(_deps: AppDeps) {
  return notImplemented([
    'listCollections',
    'createCollection',
    'getCollection',
    'updateCollection',
    'deleteCollection',
    'addCollectionMovie',
    'removeCollectionMovie',
  ]);
}
