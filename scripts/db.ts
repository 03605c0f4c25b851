/** `npm run db:migrate` applies every pending migration; `npm run db:rollback [-- --all]` undoes the newest (or all). */
import 'dotenv/config';
import { loadConfig } from '../src/config/index.ts';
import { migrateToLatest, rollback } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/owner.ts';

const direction = process.argv[2];
if (direction !== 'up' && direction !== 'down') {
  console.error('usage: node scripts/db.ts up|down [--all]');
  process.exit(2);
}
const { config } = loadConfig();
// Migrating up through a running server on the embedded database is safe (migrations take turns with its
// requests); taking its tables away under it is not, so a rollback needs the folder to itself.
const { db } = await openDatabase(
  { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 },
  { direct: direction === 'down' },
).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
try {
  const { results } =
    direction === 'up' ? await migrateToLatest(db) : await rollback(db, process.argv.includes('--all'));
  for (const r of results ?? [])
    console.log(`${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`);
  if (!results?.length) console.log('nothing to do');
} finally {
  await db.destroy();
}
