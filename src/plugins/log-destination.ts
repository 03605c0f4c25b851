import { pino } from 'pino';

export interface LogDestination {
  stream: ReturnType<typeof pino.destination>;
  /** Writes what is still buffered and waits for it; call it last, on the way out (the stream ends). */
  flush: () => Promise<void>;
}

/**
 * Where the log goes when stdout is not a terminal (a container's log pipe, a file): asynchronous writes, so a
 * request never waits on the pipe. Lines logged while a write is in flight go out together in the next one,
 * so an idle service writes each line at once and a busy one writes in batches. pino flushes synchronously on
 * process exit (fatal errors included); `flush` is the clean stop's, after the server has closed.
 * A terminal keeps pino's synchronous default.
 */
export function logDestination(isTTY = process.stdout.isTTY === true): LogDestination | undefined {
  if (isTTY) return undefined;
  const stream = pino.destination({ dest: 1, sync: false });
  return {
    stream,
    flush: () =>
      new Promise((resolve) => {
        // end() waits for the write in flight, writes the rest, and leaves fd 1 open.
        stream.once('close', () => resolve());
        stream.once('error', () => resolve());
        stream.end();
      }),
  };
}
