// The audit trail: readable by admins, newest first and paged, append-only in the database, purged after the
// retention, and never holding a secret.
import { sql } from 'kysely';
import t from 'tap';
import { purgeAuditEvents } from '../../src/auth/audit-queries.ts';
import { buildTestApp, inject } from '../helpers/app.ts';
import { createUser } from '../helpers/users.ts';
import { authTestApp, login, register } from './fixtures.ts';

const { app, db, database } = await authTestApp(t);
const admin = await createUser(app, db, { role: 'admin' });
const member = await createUser(app, db);
const audit = (token: string | undefined, query = '') =>
  inject(app, { method: 'GET', url: `/api/v1/audit${query}`, ...(token ? { token } : {}) });

const secrets: string[] = ['erin-password-1', 'erin-password-2', 'erin-wrong-guess'];
await register(app, 'erin', 'erin-password-1');
const session = await login(app, 'erin', 'erin-password-1');
secrets.push(session.access, session.refresh);
await inject(app, { method: 'POST', url: '/api/auth/token/', payload: { username: 'erin', password: 'erin-wrong-guess' } });
await inject(app, {
  method: 'POST',
  url: '/api/auth/token/',
  payload: { username: 'erin-password-1', password: 'erin-password-1' },
});
await inject(app, {
  method: 'PUT',
  url: '/api/v1/user/password',
  token: session.access,
  payload: { current_password: 'erin-password-1', new_password: 'erin-password-2' },
});
const erin = await db.selectFrom('users').select(['id', 'password_hash']).where('username', '=', 'erin').executeTakeFirstOrThrow();
secrets.push(erin.password_hash);
await inject(app, { method: 'PATCH', url: `/api/v1/users/${erin.id}`, token: admin.token, payload: { role: 'casting_assistant' } });

t.test('admins read the trail newest first, one page at a time; others may not', async (t) => {
  t.equal((await audit(undefined)).statusCode, 401);
  t.equal((await audit(member.token)).statusCode, 403);
  const all = (await audit(admin.token, '?limit=100')).json();
  t.same(
    all.events.map((e: { action: string }) => e.action),
    ['role_changed', 'password_changed', 'sign_in_failed', 'sign_in_failed', 'signed_in'],
    'newest first',
  );
  t.equal(all.total_events, 5);
  t.match(all.events[0], {
    action: 'role_changed',
    actor_id: admin.id,
    actor: admin.username,
    target_id: erin.id,
    target: 'erin',
    request_id: String,
    address: '127.0.0.1',
    before: { role: 'member' },
    after: { role: 'casting_assistant' },
  });
  t.match(all.events[2], { target_id: null, target: null, actor_id: null, after: { reason: 'invalid_credentials' } }, 'an unknown name is not stored');
  t.match(all.events[3], { target_id: erin.id, address: '127.0.0.1', after: { reason: 'invalid_credentials' } });
  const second = (await audit(admin.token, '?limit=2&page=2')).json();
  t.same(second.events, all.events.slice(2, 4), 'page 2 of 2 per page');
  t.match(second, { page: 2, limit: 2, total_events: 5 });
  const past = (await audit(admin.token, '?page=9')).json();
  t.same(past.events, [], 'a page past the end is empty');
});

t.test('no event holds a password, a hash or a token', async (t) => {
  const stored = JSON.stringify(await db.selectFrom('audit_events').selectAll().execute());
  for (const secret of secrets) t.notOk(stored.includes(secret), `not stored: ${secret.slice(0, 12)}…`);
  t.notMatch(stored, /scrypt\$/);
});

t.test('the database refuses to change or remove events; only the purge deletes', async (t) => {
  const before = await db.selectFrom('audit_events').selectAll().orderBy('id').execute();
  for (const statement of [
    sql`update audit_events set actor = 'someone else'`,
    sql`delete from audit_events`,
    sql`truncate audit_events`,
  ]) {
    await t.rejects(statement.execute(db), /append-only/, statement.compile(db).sql);
  }
  t.same(await db.selectFrom('audit_events').selectAll().orderBy('id').execute(), before, 'every event intact');

  await sql`insert into audit_events (at, action) values (now() - interval '40 days', 'signed_in')`.execute(db);
  t.equal(await purgeAuditEvents(db, 30), 1, 'the event past the retention');
  t.same(await db.selectFrom('audit_events').selectAll().orderBy('id').execute(), before, 'the others stay');
});

t.test('AUDIT_RETENTION_DAYS: a starting server purges older events', async (t) => {
  await sql`insert into audit_events (at, action) values (now() - interval '8 days', 'signed_in')`.execute(db);
  const count = async () => Number((await sql<{ n: number }>`select count(*)::int as n from audit_events`.execute(db)).rows[0]?.n);
  const before = await count();
  const other = await buildTestApp(t, { AUDIT_RETENTION_DAYS: '7' }, database);
  await other.app.ready();
  t.equal(await count(), before - 1, 'the 8-day-old event is gone');
  t.ok(before - 1 >= 5, 'the recent ones stay');
});
