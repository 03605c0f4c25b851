import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** PostgreSQL's own limit for a start-up packet. */
const MAX_STARTUP_LENGTH = 10_000;
/**
 * A client that keeps the database to itself (a transaction left open) and says nothing for this long is rolled
 * back and disconnected: while it holds the turn, the server's own requests wait.
 */
export const IDLE_TURN_TIMEOUT_MS = 10_000;

/** Simple-protocol Query message. */
function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`);
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0);
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** Reported to each client at start-up, as PostgreSQL does; psql reads server_version. */
const REPORTED = [
  'server_version',
  'server_encoding',
  'client_encoding',
  'DateStyle',
  'TimeZone',
  'integer_datetimes',
  'standard_conforming_strings',
];

/**
 * AuthenticationOk, the backend's parameters, ReadyForQuery(idle). The start-up message itself is answered here
 * and never reaches PGlite, so a client cannot reset or change the one session the process shares with it.
 */
async function startupReply(pglite: PGlite): Promise<Buffer> {
  const { rows } = await pglite.query<{ name: string; setting: string }>(
    'select name, current_setting(name) as setting from unnest($1::text[]) as name',
    [REPORTED],
  );
  const parts: Buffer[] = [Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0])];
  for (const { name, setting } of rows) {
    const body = Buffer.from(`${name}\0${setting}\0`);
    const head = Buffer.alloc(5);
    head.write('S', 0);
    head.writeInt32BE(4 + body.length, 1);
    parts.push(head, body);
  }
  parts.push(Buffer.from([0x5a, 0, 0, 0, 5, 0x49]));
  return Buffer.concat(parts);
}

/**
 * Serves an open PGlite database on a Unix socket to PostgreSQL clients (`pg`), beside the process's own use of
 * it. PGlite is one session, so clients take turns with the process: a turn is PGlite's transaction mutex (the one
 * its `query`, `exec` and `transaction` hold, so Kysely's queries and transactions wait), taken at a client's first
 * message and given back when it is idle outside a transaction again. No statement of one can run inside the
 * other's transaction. `@electric-sql/pglite-socket` only takes the query mutex per message, so a client's
 * statement could land inside the process's transaction, and it pins one exact PGlite release.
 *
 * Returns a function that disconnects every client (rolling back what they left open) and stops listening.
 */
export async function serveOnSocket(
  pglite: PGlite,
  path: string,
  onNotification: NotificationHandler = () => {},
): Promise<() => Promise<void>> {
  const greeting = await startupReply(pglite);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Only the lock holder gets here: a socket file left behind is a dead owner's.
  rmSync(path, { force: true });
  const sockets = new Set<Socket>();
  const done = new Set<Promise<void>>();
  const server = createServer({ allowHalfOpen: false }, (socket) => {
    sockets.add(socket);
    const finished = serveClient(pglite, socket, greeting, onNotification).finally(() => {
      sockets.delete(socket);
      done.delete(finished);
    });
    done.add(finished);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path }, () => {
      server.off('error', reject);
      // Connecting takes write permission: only the user the server runs as, whatever the umask.
      chmodSync(path, 0o600);
      resolve();
    });
  });
  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await Promise.all(done);
    await closed;
  };
}

/** A NOTIFY's channel and payload. */
export type NotificationHandler = (channel: string, payload: string) => void;

/**
 * PGlite is one session: a NOTIFY committed by a socket client reaches that client's output, not the process's
 * own listeners (pglite.listen), so the NotificationResponse messages ('A') are picked out of it and handed on.
 */
function relayNotifications(output: Buffer, onNotification: NotificationHandler): void {
  for (let at = 0; at + 5 <= output.length; at += 1 + output.readInt32BE(at + 1)) {
    if (output[at] !== 0x41) continue;
    const channelStart = at + 9;
    const channelEnd = output.indexOf(0, channelStart);
    const payloadEnd = output.indexOf(0, channelEnd + 1);
    if (channelEnd === -1 || payloadEnd === -1) return;
    onNotification(
      output.toString('utf8', channelStart, channelEnd),
      output.toString('utf8', channelEnd + 1, payloadEnd),
    );
  }
}

/** Resolves when the client has gone and its turn, if it had one, is given back. */
function serveClient(
  pglite: PGlite,
  socket: Socket,
  greeting: Buffer,
  onNotification: NotificationHandler,
): Promise<void> {
  let buffer = Buffer.alloc(0);
  let started = false;
  let releaseTurn: (() => void) | undefined;
  let work = Promise.resolve();
  let idleTimer: NodeJS.Timeout | undefined;

  const takeTurn = () =>
    new Promise<void>((granted) => {
      void pglite._runExclusiveTransaction(
        () =>
          new Promise<void>((release) => {
            releaseTurn = release;
            granted();
          }),
      );
    });

  const giveTurnBack = async () => {
    clearTimeout(idleTimer);
    if (!releaseTurn) return;
    if (!pglite.closed && pglite.isInTransaction()) {
      await pglite.runExclusive(() => pglite.execProtocolRaw(queryMessage('ROLLBACK')));
    }
    releaseTurn();
    releaseTurn = undefined;
  };

  const run = async (message: Uint8Array, type: string) => {
    if (!releaseTurn) await takeTurn();
    const out: Uint8Array[] = [];
    await pglite.runExclusive(() =>
      pglite.execProtocolRawStream(message, { onRawData: (chunk) => out.push(Buffer.from(chunk)) }),
    );
    if (out.length > 0) {
      const output = Buffer.concat(out);
      relayNotifications(output, onNotification);
      if (!socket.destroyed) socket.write(output);
    }
    // Sync and Query end with ReadyForQuery: the client's statements are done unless a transaction is open.
    if ((type === 'S' || type === 'Q') && !pglite.isInTransaction()) await giveTurnBack();
    else idleTimer = setTimeout(() => socket.destroy(), IDLE_TURN_TIMEOUT_MS).unref();
  };

  const consume = async () => {
    while (!socket.destroyed) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (length < 8 || length > MAX_STARTUP_LENGTH) return void socket.destroy();
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) socket.write('N');
        else if (code === CANCEL_REQUEST) socket.end();
        else {
          started = true;
          socket.write(greeting);
        }
        continue;
      }
      if (buffer.length < 5) return;
      const length = 1 + buffer.readInt32BE(1);
      if (length < 5) return void socket.destroy();
      if (buffer.length < length) return;
      const message = buffer.subarray(0, length);
      buffer = buffer.subarray(length);
      const type = String.fromCharCode(message[0]!);
      // Terminate ends this client only; passed on, it would end PGlite's one backend.
      if (type === 'X') {
        socket.end();
        return;
      }
      clearTimeout(idleTimer);
      await run(Uint8Array.from(message), type);
    }
  };

  return new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      work = work.then(consume).catch(() => {
        socket.destroy();
      });
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      work = work.then(giveTurnBack).catch(() => {}).finally(resolve);
    });
  });
}
