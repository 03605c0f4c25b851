import type { FastifyRequest } from 'fastify';
import type { components } from '../../generated/api.d.ts';
import type { Database } from '../db/index.ts';
import { type AuditRow, countAuditEvents, insertAuditEvent, listAuditEvents } from './audit-queries.ts';

export type AuditAction = components['schemas']['AuditAction'];
export type AuditEvent = components['schemas']['AuditEvent'];

/** Who acted and from where: the request's signed-in user, id and address, or an operator's command. */
export interface Actor {
  id: number | null;
  name: string | null;
  requestId: string | null;
  address: string | null;
}

/** The signed-in caller of a request (anonymous on sign-in routes). */
export function actorOf(request: FastifyRequest): Actor {
  const user = request.user as { id?: number; username?: string } | undefined;
  return {
    id: user?.id ?? null,
    name: user?.username ?? null,
    requestId: request.id,
    address: request.ip,
  };
}

/** The command line (scripts/users.ts): no request, no address. */
export const OPERATOR: Actor = { id: null, name: 'command line', requestId: null, address: null };

export interface AuditEntry {
  action: AuditAction;
  target?: { id: number; username: string } | undefined;
  /** Only non-secret fields: role, active. Never a password, hash or token. */
  before?: Record<string, unknown> | undefined;
  after?: Record<string, unknown> | undefined;
}

/** Appends one event; called inside the transaction of the change it records, so both commit or neither. */
export function audit(db: Database, actor: Actor, entry: AuditEntry): Promise<void> {
  return insertAuditEvent(db, {
    action: entry.action,
    actor_id: actor.id,
    actor: actor.name,
    target_id: entry.target?.id ?? null,
    target: entry.target?.username ?? null,
    request_id: actor.requestId,
    address: actor.address,
    before: entry.before === undefined ? null : JSON.stringify(entry.before),
    after: entry.after === undefined ? null : JSON.stringify(entry.after),
  });
}

function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    action: row.action as AuditAction,
    actor_id: row.actor_id,
    actor: row.actor,
    target_id: row.target_id,
    target: row.target,
    request_id: row.request_id,
    address: row.address,
    before: row.before,
    after: row.after,
  };
}

export async function listAudit(db: Database, page: { limit: number; offset: number }) {
  const [rows, total] = await Promise.all([listAuditEvents(db, page.limit, page.offset), countAuditEvents(db)]);
  return { events: rows.map(toAuditEvent), total };
}
