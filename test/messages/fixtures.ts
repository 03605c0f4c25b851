import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import type { Database } from '../../src/db/index.ts';
import { unwrap } from '../../sdk/src/index.ts';
import { buildTestApp } from '../helpers/app.ts';
import { client } from '../helpers/client.ts';
import { createUser } from '../helpers/users.ts';

export const EMOJI = '😀'; // one code point, two UTF-16 units
export const FAMILY = '👩‍👩‍👧'; // one grapheme, five code points (three emoji joined by two ZWJ)
export const E_ACUTE = 'e\u0301'; // one grapheme, two code points (e + combining acute accent)

/** This file's app and database with alice, bob and an admin (root), an anonymous client and alice's. */
export async function messageBoard(t: Test) {
  const { app, db } = await buildTestApp(t);
  const alice = await createUser(app, db, { username: 'alice' });
  const bob = await createUser(app, db, { username: 'bob' });
  const admin = await createUser(app, db, { role: 'admin', username: 'root' });
  return { app, db, alice, bob, admin, api: client(app), asAlice: client(app, alice.token) };
}

/** Every message row, in id order: compare before and after a request that must change nothing. */
export function snapshot(db: Database) {
  return db.selectFrom('messages').selectAll().orderBy('id').execute();
}

/** A message inserted straight into the table, with timestamps a test can tell apart from "now". */
export async function insertMessage(
  db: Database,
  authorId: number,
  content: string,
  at: Date = new Date('2026-01-01T00:00:00Z'),
) {
  return db
    .insertInto('messages')
    .values({ author_id: authorId, content, created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Posts through the typed client; anything but 201 throws with the status and message. */
export function postMessage(app: FastifyInstance, token: string, content: string) {
  return unwrap(client(app, token).POST('/api/messages', { body: { content } }));
}

/** The stored row of one message. */
export function storedMessage(db: Database, id: number) {
  return db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function viewsOf(db: Database, id: number): Promise<number> {
  const row = await db.selectFrom('messages').select('views').where('id', '=', id).executeTakeFirstOrThrow();
  return row.views;
}

/** ISO 8601 / RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`). */
export const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
