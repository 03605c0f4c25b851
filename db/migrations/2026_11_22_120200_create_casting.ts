import { type Kysely, sql } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('actors')
    .addColumn('id', 'integer', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (col) => col.notNull().check(sql`length(btrim(name)) between 1 and 200`))
    .addColumn('age', 'integer', (col) => col.notNull().check(sql`age between 0 and 150`))
    .addColumn('gender', 'text', (col) => col.notNull().check(sql`gender in ('M', 'F', 'X')`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('movies')
    .addColumn('id', 'integer', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('title', 'text', (col) => col.notNull().check(sql`length(btrim(title)) between 1 and 200`))
    .addColumn('release_date', 'date', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // Deleting an actor or a movie takes its links with it; whether that may happen is the app's call, made under
  // row locks (an actor who is some movie's last one is refused before the cascade can run).
  await db.schema
    .createTable('movie_actors')
    .addColumn('movie_id', 'integer', (col) => col.notNull().references('movies.id').onDelete('cascade'))
    .addColumn('actor_id', 'integer', (col) => col.notNull().references('actors.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('movie_actors_pkey', ['movie_id', 'actor_id'])
    .execute();
  // The primary key serves "actors of a movie"; "movies of an actor" and the cascade from actors need this one.
  await db.schema
    .createIndex('movie_actors_actor_id_idx')
    .on('movie_actors')
    .columns(['actor_id', 'movie_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('movie_actors').execute();
  await db.schema.dropTable('movies').execute();
  await db.schema.dropTable('actors').execute();
}
