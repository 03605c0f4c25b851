import type { AppDeps } from '../deps.ts';
import { notImplemented } from '../spec/not-implemented.ts';

export function createAuthHandlers(_deps: AppDeps) {
  return notImplemented([
    'registerCollectionsUser',
    'registerUser',
    'obtainTokenPair',
    'refreshTokenPair',
    'revokeRefreshToken',
    'createV1User',
    'getCurrentUser',
    'authenticateV1',
    'listUsers',
    'updateUserRole',
  ]);
}
