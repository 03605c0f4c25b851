# syntax=docker/dockerfile:1
# Marquee API image: Node 24 runs the TypeScript sources directly (type stripping), so there is no build step;
# the first stage only installs production dependencies.

FROM node:24-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MIGRATE_ON_START=false
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json package-lock.json openapi.yaml ./
COPY bin ./bin
COPY src ./src
# The tables generated from openapi.yaml that src/ reads at run time (the rest of generated/ is types only).
COPY generated/tables.ts generated/error-codes.ts ./generated/
COPY db ./db
COPY scripts/db.ts scripts/users.ts scripts/cli.ts ./scripts/
# Root owns the files and the service cannot change them; it runs as the image's unprivileged "node" user.
USER node
EXPOSE 3000
# Liveness only: /health answers while the process is up; readiness (/ready) is the orchestrator's probe.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Migrations are their own step, run once per release, never by every replica:
#   docker run --rm <image> node scripts/db.ts up      (what `npm run db:migrate` runs)
# Users and tokens (the image's createsuperuser):  docker compose run --rm api npm run users -- create ...
# bin/marquee.js checks the Node.js version before the TypeScript sources load (what `npm start` runs).
CMD ["node", "--max-semi-space-size=16", "bin/marquee.js"]
