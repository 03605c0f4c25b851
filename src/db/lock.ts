import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseSync } from 'node:sqlite';

const LOCK_FILE = 'marquee.lock';
/** Who holds the lock, for the message another process prints; the lock itself is the truth. */
const OWNER_FILE = 'marquee.owner';
/** PostgreSQL's socket file name (`.s.PGSQL.<port>`), so `pg` finds it from a directory and a port. */
export const SOCKET_PORT = 5432;
/** sockaddr_un holds 104 (macOS) to 108 (Linux) bytes. */
const MAX_SOCKET_PATH = 100;

export interface Owner {
  pid: number;
  command: string;
}

/** The data folder is held by another live process. */
export class DataFolderBusyError extends Error {
  readonly dataDir: string;
  readonly owner: Owner | undefined;
  constructor(dataDir: string, owner: Owner | undefined) {
    const who = owner ? `process ${owner.pid} (${owner.command})` : 'another process';
    super(`data folder ${dataDir} is in use by ${who}`);
    this.name = 'DataFolderBusyError';
    this.dataDir = dataDir;
    this.owner = owner;
  }
}

/** Locks held by this process, shared by its openers and released when the last one lets go. */
const held = new Map<string, { lock: DatabaseSync; users: number }>();

/**
 * Takes the lock on a PGlite data folder, or throws DataFolderBusyError at once. The lock is SQLite's (node:sqlite)
 * exclusive lock on `marquee.lock`, an fcntl lock on POSIX: the kernel drops it when the process ends, however it
 * ends, so a `kill -9` leaves nothing stale behind and no pid has to be trusted. Returns the release function.
 */
export function lockDataFolder(dataDir: string): () => void {
  let entry = held.get(dataDir);
  if (!entry) {
    mkdirSync(dataDir, { recursive: true });
    const lock = new DatabaseSync(join(dataDir, LOCK_FILE), { timeout: 0 });
    try {
      lock.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE');
    } catch (error) {
      lock.close();
      // SQLITE_BUSY: another process holds it.
      if ((error as { errcode?: number }).errcode === 5) throw new DataFolderBusyError(dataDir, undefined);
      throw error;
    }
    const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) : '';
    const owner: Owner = { pid: process.pid, command: `${basename(process.execPath)} ${script}`.trim() };
    writeFileSync(join(dataDir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
    entry = { lock, users: 0 };
    held.set(dataDir, entry);
  }
  entry.users += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    entry.users -= 1;
    if (entry.users === 0) {
      held.delete(dataDir);
      entry.lock.close();
    }
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The live process named in the owner file. A process that has just taken the lock may not have written it yet
 * (the file still names the previous, dead owner), so this looks again for up to `waitMs`.
 */
export async function readOwner(dataDir: string, waitMs = 1000): Promise<Owner | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const owner = JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8')) as Owner;
      if (Number.isInteger(owner.pid) && alive(owner.pid)) return owner;
    } catch {
      // not written yet, or half-written
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(50);
  }
}

/**
 * The directory holding the owner's socket: the data folder itself, or a folder under the system's temporary
 * directory named after it when the path would be too long for a Unix socket.
 */
export function socketDir(dataDir: string): string {
  if (join(dataDir, `.s.PGSQL.${SOCKET_PORT}`).length <= MAX_SOCKET_PATH) return dataDir;
  const name = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return join(tmpdir(), `marquee-${name}`);
}

export function socketPath(dataDir: string): string {
  return join(socketDir(dataDir), `.s.PGSQL.${SOCKET_PORT}`);
}
