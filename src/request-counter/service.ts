import type { FastifyBaseLogger } from 'fastify';
import { AppError, notFound, retryAfter } from '../errors/index.ts';
import type { CountReading, RequestCounter } from './counter.ts';

const DISABLED = 'the request counter is turned off on this server (REQUEST_COUNTER=false)';

/**
 * The count a count request answers, given what its own increment returned (`own`): 404 when the counter is
 * turned off on this server.
 */
export async function readCount(
  counter: RequestCounter | undefined,
  own: CountReading | Promise<CountReading> | undefined,
): Promise<CountReading> {
  if (!counter || own === undefined) throw notFound(DISABLED);
  return counter.read(own);
}

/** Zero the count everywhere: 404 when the counter is off, 503 while Redis is unreachable. */
export async function resetCount(counter: RequestCounter | undefined, log: FastifyBaseLogger): Promise<void> {
  if (!counter) throw notFound(DISABLED);
  try {
    await counter.reset();
  } catch (error) {
    log.warn({ err: error }, 'request count not reset: Redis unreachable');
    // A reset only this process applied would be undone by the others' counts: refuse it instead.
    throw new AppError('dependency_unavailable', 'the request count cannot be reset while Redis is unreachable', {
      headers: retryAfter(5),
    });
  }
}
