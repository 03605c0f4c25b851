import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { UserStates } from './auth/user-states.ts';
import type { Config } from './config/index.ts';
import type { Database } from './db/index.ts';
import type { LoadedSpec } from './spec/index.ts';

/** What handlers may use; passed in explicitly because fastify-openapi-glue binds `this` to the handler object. */
export interface AppDeps {
  config: Config;
  db: Database;
  redis: Redis | undefined;
  log: FastifyBaseLogger;
  spec: LoadedSpec;
  /** Each user's auth state, cached until the user row changes (src/auth/user-states.ts). */
  userStates: UserStates;
}
