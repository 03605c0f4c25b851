/** `npm run db:migrate` applies every pending migration; `npm run db:rollback [-- --all]` undoes the newest (or all). */
import { loadConfig, readDotEnv } from '../src/config/index.ts';
import { migrateToLatest, rollback } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/owner.ts';
import { commandLine } from './cli.ts';

const USAGE = `usage: node scripts/db.ts up|down [--all]
  up           apply every pending migration (npm run db:migrate)
  down         undo the newest migration (npm run db:rollback); --all undoes every one`;
const { positionals, values } = commandLine(USAGE, { all: { type: 'boolean' } }, { allowPositionals: true });
const direction = positionals[0];
if (positionals.length !== 1 || (direction !== 'up' && direction !== 'down') || (values.all && direction === 'up')) {
  console.error(USAGE);
  process.exit(2);
}
readDotEnv();
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
    direction === 'up' ? await migrateToLatest(db) : await rollback(db, values.all === true);
  for (const r of results ?? [])
    console.log(`${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`);
  if (!results?.length) console.log('nothing to do');
} finally {
  await db.destroy();
}
