import { type Kysely, sql } from 'kysely';

// JavaScript's `\s` (what the API's `pattern: '\S'` refuses on its own), spelled out because PostgreSQL's `\s`
// depends on the engine and locale: PGlite and PostgreSQL disagree with each other and with Ajv on U+00A0 and more.
const NOT_ONLY_WHITESPACE = String.raw`[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('messages')
    .addColumn('id', 'integer', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('author_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    // char_length counts code points in a UTF8 database, as Python's len and Ajv's maxLength do.
    .addColumn('content', 'text', (col) =>
      col
        .notNull()
        .check(sql`char_length(content) between 1 and 160 and content ~ ${sql.lit(NOT_ONLY_WHITESPACE)}`),
    )
    .addColumn('views', 'integer', (col) => col.notNull().defaultTo(0).check(sql`views >= 0`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index messages_newest_first_idx on messages (created_at desc, id desc)`.execute(db);
  // Deleting a user cascades to their messages; without this index that is a scan of the whole table.
  await db.schema.createIndex('messages_author_id_idx').on('messages').column('author_id').execute();

  // `update of content`: editing a message is an update, counting a view (which sets only `views`) is not.
  await sql`
    create function messages_set_updated_at() returns trigger language plpgsql as $$
    begin
      new.updated_at := now();
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger messages_set_updated_at before update of content on messages
    for each row execute function messages_set_updated_at()`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('messages').execute();
  await sql`drop function messages_set_updated_at()`.execute(db);
}
