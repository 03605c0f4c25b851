import { type Kysely, sql } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('collections')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (col) => col.notNull().check(sql`length(btrim(title)) between 1 and 200`))
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('collections_user_id_idx')
    .on('collections')
    .columns(['user_id', 'created_at'])
    .execute();

  // One row per upstream movie, shared by every collection that holds it; the latest data sent wins.
  await db.schema
    .createTable('catalog_movies')
    .addColumn('uuid', 'uuid', (col) => col.primaryKey())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('genres', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('collection_movies')
    .addColumn('collection_id', 'uuid', (col) =>
      col.notNull().references('collections.id').onDelete('cascade'),
    )
    .addColumn('movie_uuid', 'uuid', (col) => col.notNull().references('catalog_movies.uuid'))
    .addColumn('position', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('collection_movies_pkey', ['collection_id', 'movie_uuid'])
    .addUniqueConstraint('collection_movies_position_key', ['collection_id', 'position'])
    .execute();
  await db.schema
    .createIndex('collection_movies_movie_uuid_idx')
    .on('collection_movies')
    .column('movie_uuid')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('collection_movies').execute();
  await db.schema.dropTable('catalog_movies').execute();
  await db.schema.dropTable('collections').execute();
}
