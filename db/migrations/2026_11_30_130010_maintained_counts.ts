import { type Kysely, sql } from 'kysely';

/** The tables whose exact totals the API reports on every list page. */
const COUNTED = ['users', 'actors', 'movies', 'messages'] as const;
/**
 * Each table's total is spread over this many rows, one per connection (backend pid modulo SLOTS): concurrent
 * writers add to different rows and do not queue on one row lock until commit. Reading sums them.
 */
const SLOTS = 16;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and never use the app's types
export async function up(db: Kysely<any>): Promise<void> {
  // Exact totals without a scan per request: statement-level triggers add each statement's inserted and
  // deleted rows in the same transaction, so every snapshot sees a total that matches its rows.
  await sql`
    create table row_counts (
      table_name text not null,
      slot smallint not null,
      n bigint not null,
      primary key (table_name, slot)
    )`.execute(db);
  await sql`
    create function row_counts_add() returns trigger language plpgsql as $$
    declare
      delta bigint;
    begin
      if tg_op = 'INSERT' then
        select count(*) into delta from new_rows;
      elsif tg_op = 'DELETE' then
        select -count(*) into delta from old_rows;
      else
        delete from row_counts where table_name = tg_table_name;
        return null;
      end if;
      if delta <> 0 then
        insert into row_counts (table_name, slot, n)
        values (tg_table_name, pg_backend_pid() % ${sql.lit(SLOTS)}, delta)
        on conflict (table_name, slot) do update set n = row_counts.n + excluded.n;
      end if;
      return null;
    end
    $$`.execute(db);
  for (const table of COUNTED) {
    // The triggers' lock on the table keeps writers out until this migration commits, so the count below is
    // exact and no write falls between it and the triggers.
    await sql`create trigger ${sql.id(`${table}_count_insert`)} after insert on ${sql.id(table)}
      referencing new table as new_rows for each statement execute function row_counts_add()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_count_delete`)} after delete on ${sql.id(table)}
      referencing old table as old_rows for each statement execute function row_counts_add()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_count_truncate`)} after truncate on ${sql.id(table)}
      for each statement execute function row_counts_add()`.execute(db);
    await sql`insert into row_counts (table_name, slot, n)
      select ${table}, 0, count(*) from ${sql.id(table)}`.execute(db);
  }

  // A user's favourite genres, computed on the first read after a change rather than on every read. A change
  // to what they depend on (a collection's movies, a collection's deletion, a movie's genres) clears the value
  // and bumps `version`; a reader stores what it computed only if `version` is still the one it read first.
  await sql`
    create table favourite_genres (
      user_id integer primary key references users (id) on delete cascade,
      version bigint not null default 0,
      genres text
    )`.execute(db);
  await sql`
    create function favourite_genres_stale() returns trigger language plpgsql as $$
    begin
      -- In user order, so two writers touching the same users lock them in the same order.
      if tg_table_name = 'collections' then
        insert into favourite_genres (user_id, version)
        select distinct user_id, 1 from old_rows where user_id in (select id from users) order by user_id
        on conflict (user_id) do update set version = favourite_genres.version + 1, genres = null;
      elsif tg_table_name = 'catalog_movies' then
        insert into favourite_genres (user_id, version)
        select distinct c.user_id, 1
        from new_rows n
        join old_rows o on o.uuid = n.uuid
        join collection_movies cm on cm.movie_uuid = n.uuid
        join collections c on c.id = cm.collection_id
        where n.genres is distinct from o.genres
        order by c.user_id
        on conflict (user_id) do update set version = favourite_genres.version + 1, genres = null;
      elsif tg_op = 'INSERT' then
        insert into favourite_genres (user_id, version)
        select distinct c.user_id, 1 from new_rows r join collections c on c.id = r.collection_id order by c.user_id
        on conflict (user_id) do update set version = favourite_genres.version + 1, genres = null;
      else
        -- A cascade from a collection's deletion finds no collection here; that deletion's own trigger counts.
        insert into favourite_genres (user_id, version)
        select distinct c.user_id, 1 from old_rows r join collections c on c.id = r.collection_id order by c.user_id
        on conflict (user_id) do update set version = favourite_genres.version + 1, genres = null;
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`create trigger collection_movies_genres_insert after insert on collection_movies
    referencing new table as new_rows for each statement execute function favourite_genres_stale()`.execute(db);
  await sql`create trigger collection_movies_genres_delete after delete on collection_movies
    referencing old table as old_rows for each statement execute function favourite_genres_stale()`.execute(db);
  await sql`create trigger collections_genres_delete after delete on collections
    referencing old table as old_rows for each statement execute function favourite_genres_stale()`.execute(db);
  await sql`create trigger catalog_movies_genres_update after update on catalog_movies
    referencing new table as new_rows old table as old_rows
    for each statement execute function favourite_genres_stale()`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger catalog_movies_genres_update on catalog_movies`.execute(db);
  await sql`drop trigger collections_genres_delete on collections`.execute(db);
  await sql`drop trigger collection_movies_genres_delete on collection_movies`.execute(db);
  await sql`drop trigger collection_movies_genres_insert on collection_movies`.execute(db);
  await sql`drop function favourite_genres_stale()`.execute(db);
  await sql`drop table favourite_genres`.execute(db);
  for (const table of COUNTED) {
    for (const op of ['insert', 'delete', 'truncate']) {
      await sql`drop trigger ${sql.id(`${table}_count_${op}`)} on ${sql.id(table)}`.execute(db);
    }
  }
  await sql`drop function row_counts_add()`.execute(db);
  await sql`drop table row_counts`.execute(db);
}
