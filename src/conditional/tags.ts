import { createHash } from 'node:crypto';
import { AppError } from '../errors/index.ts';

// Entity tags are strong and derived from the representation a GET returns, so no table needs a version
// column and any change to what a client sees changes the tag. A write's If-Match is compared, in the
// write's transaction, with the tag of the row as locked there: of two writes sent with one tag, the second
// waits for the first's lock and then finds the tag changed.

/** A parsed `If-Match`: any current representation (`*`), or one of these tags. */
export type Precondition = '*' | readonly string[];

/** The strong entity tag of a representation: quoted, 22 base64url characters of its SHA-256. */
export function entityTag(representation: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(representation)).digest('base64url');
  return `"${digest.slice(0, 22)}"`;
}

/** The tags of an `If-Match` or `If-None-Match` list; weak tags keep their `W/` prefix. */
function tagList(header: string): string[] {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}

export function parseIfMatch(header: string | undefined): Precondition | undefined {
  if (header === undefined) return undefined;
  return header.trim() === '*' ? '*' : tagList(header);
}

/**
 * Refuses the write unless the current representation's tag is one the client named (strong comparison:
 * a weak tag never matches). Called with the row locked, inside the write's transaction.
 */
export function checkPrecondition(precondition: Precondition | undefined, current: unknown): void {
  if (precondition === undefined || precondition === '*') return;
  if (precondition.includes(entityTag(current))) return;
  throw new AppError('precondition_failed', 'the resource has changed since that ETag; read it again');
}

/** Whether an `If-None-Match` names this tag (weak comparison, as RFC 9110 asks for GET and HEAD). */
export function noneMatchHits(header: string, tag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = (value: string) => value.replace(/^W\//, '');
  return tagList(header).some((candidate) => opaque(candidate) === opaque(tag));
}
