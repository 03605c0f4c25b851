import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { purgeAuditEvents } from './audit-queries.ts';

/** How often each process purges expired audit events; the purge is idempotent, so replicas need no coordination. */
export const AUDIT_PURGE_INTERVAL_MS = 3_600_000;

/** Purges audit events older than AUDIT_RETENTION_DAYS at start-up and then hourly. */
async function auditRetention(app: FastifyInstance) {
  const { db, config, log } = app.deps;
  const purge = async () => {
    try {
      const purged = await purgeAuditEvents(db, config.auditRetentionDays);
      if (purged > 0) log.info({ purged, retentionDays: config.auditRetentionDays }, 'old audit events purged');
    } catch (error) {
      // The next round tries again; a database that is down is reported by /ready, not here.
      log.warn({ reason: (error as Error).message }, 'audit purge failed');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await purge();
    timer = setInterval(purge, AUDIT_PURGE_INTERVAL_MS).unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}

export default fp(auditRetention, { name: 'marquee-audit-retention', fastify: '5.x' });
