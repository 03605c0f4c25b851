/** `npm run db:migrate` applies every pending migration; `npm run db:rollback [-- --all]` undoes the newest (or all). */
import 'dotenv/config';
import { loadConfig } from '../src/config/index.ts';
import { createDatabase } from '../src/db/index.ts';
import { migrateToLatest, rollback } from '../src/db/migrate.ts';

const direction = process.argv[2];
if (direction !== 'up' && direction !== 'down') {
  console.error('usage: node scripts/db.ts up|down [--all]');
  process.exit(2);
}
const { config } = loadConfig();
const { db } = createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
try {
  const { results } =
    direction === 'up' ? await migrateToLatest(db) : await rollback(db, process.argv.includes('--all'));
  for (const r of results ?? [])
    console.log(`${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`);
  if (!results?.length) console.log('nothing to do');
} finally {
  await db.destroy();
}
