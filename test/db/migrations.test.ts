import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import t from 'tap';
import { migrateToLatest, rollback } from '../../src/db/migrate.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { TEST_JWT_SECRET } from '../helpers/secret.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const { db, engine } = await createTestDatabase(t, { migrate: false });

async function tables(): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

t.test(`migrations go up, down and up again on ${engine}`, async (t) => {
  const up = await migrateToLatest(db);
  t.ok((up.results ?? []).length > 0, 'some migrations applied');
  const created = await tables();
  t.ok(created.includes('users'), `tables after up: ${created.join(', ')}`);

  const down = await rollback(db, true);
  t.equal(down.results?.length, up.results?.length, 'every migration reverted');
  t.same(await tables(), [], 'no table left after rolling everything back');

  await migrateToLatest(db);
  t.same(await tables(), created, 'the same tables after going up again');
});

t.test(`npm run db:migrate and db:rollback [-- --all] on ${engine}`, async (t) => {
  // The commands' own database: a new PostgreSQL database, or a new PGlite folder (one opener at a time).
  const own = process.env.DATABASE_URL ? await createTestDatabase(t, { migrate: false }) : undefined;
  const cwd = mkdtempSync(join(tmpdir(), 'marquee-db-command-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    ...(own ? { DATABASE_URL: own.url } : { DATA_DIR: join(cwd, 'data') }),
  };
  // Run from an empty folder, so that no developer's .env is read.
  const run = (...args: string[]) => {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'db.ts'), ...args], {
      cwd,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    t.equal(result.status, 0, `db.ts ${args.join(' ')} exits 0 ${result.stderr}`);
    return result.stdout.trim().split('\n');
  };
  const names = readdirSync(join(ROOT, 'db', 'migrations'))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();

  t.same(run('up'), names.map((name) => `applied ${name}`), 'db:migrate applies every migration');
  t.same(run('down'), [`reverted ${names.at(-1)}`], 'db:rollback undoes the newest only');
  t.same(
    run('down', '--all'),
    names.slice(0, -1).reverse().map((name) => `reverted ${name}`),
    'db:rollback -- --all undoes the rest, newest first',
  );
  t.same(run('down'), ['nothing to do']);
});
