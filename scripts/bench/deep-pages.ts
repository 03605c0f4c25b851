/**
 * `npm run bench -- --deep-pages`: 1 M messages, then the time of the first cursor page of /api/messages and of
 * a cursor page near the end, and, for contrast, of an offset page as deep. A cursor page is a keyset read of
 * messages_newest_first_idx, so the deep page should cost what the first does (the issue asks for within 2×).
 *
 *   npm run bench -- --deep-pages                 # 1 000 000 messages, 100 a page, 30 timed requests each
 *   BENCH_DEEP_MESSAGES=100000 npm run bench -- --deep-pages
 */
import { join } from 'node:path';
import { sql } from 'kysely';
import { createDatabase } from '../../src/db/index.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { encodeCursor } from '../../src/paging/cursor.ts';
import { createScratchDatabase } from '../../test/helpers/database.ts';
import { root, start, stopAll } from './processes.ts';

const MESSAGES = Number(process.env.BENCH_DEEP_MESSAGES ?? 1_000_000);
const LIMIT = 100;
const SAMPLES = 30;

/** One author, MESSAGES messages a second apart, and the cursor of the row LIMIT + 1 from the end. */
async function seedMessages(url: string): Promise<string> {
  const { db } = createDatabase({ databaseUrl: url, dataDir: '', poolSize: 1 });
  try {
    await migrateToLatest(db);
    await sql`insert into users (username, password_hash) values ('deep-author', 'placeholder')`.execute(db);
    await sql`insert into messages (author_id, content, created_at, updated_at)
      select u.id, 'Deep message ' || g, timestamptz '2026-01-01' + g * interval '1 second',
             timestamptz '2026-01-01' + g * interval '1 second'
      from generate_series(1, ${MESSAGES}::int) g, users u`.execute(db);
    await sql`analyze`.execute(db);
    // The same key a page's link would carry: created_at to the microsecond, then the id.
    const { rows } = await sql<{ key: string; id: number }>`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as key, id from messages
      order by created_at desc, id desc offset ${MESSAGES - LIMIT - 1} limit 1`.execute(db);
    const row = rows[0];
    if (!row) throw new Error('no row near the end');
    return encodeCursor('messages', [row.key, row.id]);
  } finally {
    await db.destroy();
  }
}

/** Median milliseconds of `SAMPLES` sequential requests, after two unmeasured ones. */
async function timeOf(url: string): Promise<{ ms: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < SAMPLES + 2; i++) {
    const started = performance.now();
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    rows = ((await res.json()) as unknown[]).length;
    if (i >= 2) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? 0, rows };
}

export async function runDeepPages(adminUrl: string): Promise<void> {
  const { url, drop } = await createScratchDatabase(adminUrl, 'marquee_bench_deep_');
  try {
    const seeding = performance.now();
    const deepCursor = await seedMessages(url);
    console.error(`seeded ${MESSAGES} messages in ${((performance.now() - seeding) / 1000).toFixed(0)} s`);
    const service = await start('service', join(root, 'src/server.ts'), {
      NODE_ENV: 'production',
      DATABASE_URL: url,
      JWT_SECRET: 'bench-deep-pages-secret-0123456789abcdef',
      LOG_LEVEL: 'warn',
      MIGRATE_ON_START: 'false',
      REQUEST_COUNTER: 'false',
      WORKERS: '1',
    });
    const first = await timeOf(`${service.url}/api/messages?limit=${LIMIT}`);
    const deep = await timeOf(`${service.url}/api/messages?limit=${LIMIT}&cursor=${deepCursor}`);
    const offset = Math.floor(MESSAGES * 0.9);
    const byOffset = await timeOf(`${service.url}/api/messages?limit=${LIMIT}&offset=${offset}`);
    const ratio = deep.ms / first.ms;
    console.log(`deep pages over ${MESSAGES} messages, ${LIMIT} a page, median of ${SAMPLES} requests:`);
    console.log(`  first cursor page                    ${first.ms.toFixed(2)} ms (${first.rows} rows)`);
    console.log(`  cursor page ${LIMIT + 1} rows from the end    ${deep.ms.toFixed(2)} ms (${deep.rows} rows)`);
    console.log(`  offset page at ${offset}            ${byOffset.ms.toFixed(2)} ms (for contrast)`);
    console.log(`  deep / first: ${ratio.toFixed(2)}× (${ratio <= 2 ? 'within' : 'NOT within'} 2×)`);
    if (ratio > 2) process.exitCode = 1;
  } finally {
    await stopAll();
    await drop();
  }
}
