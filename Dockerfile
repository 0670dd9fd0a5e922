# GoTicket image: the API, the worker role and the sandbox provider, compiled. Build: docker build -t goticket .
# Node 24 (the project's engines: >= 24.11), as in CI.

# Everything needed to build: all dependencies, then the compiled entry points in dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Production dependencies only.
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    GOTICKET_DATA_DIR=/data
WORKDIR /app
RUN mkdir -p /data && chown node:node /data
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node migrations ./migrations
# The operator commands (npm run migrate, seed, dlq, mail) run their TypeScript with Node's own type stripping; the
# operator CLI is compiled: node dist/src/cli/main.js (npm run goticket would rebuild, and esbuild is not here).
COPY --chown=node:node scripts ./scripts
COPY --chown=node:node src ./src
USER node
VOLUME ["/data"]
EXPOSE 3000
# Slim images have no curl: probe readiness with node's built-in fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node as `npm start` runs it (README: Quick start): old space bounded, a larger young generation, no allocation-site
# pretenuring; with WORKERS > 1 each worker's old space is bounded by WORKER_HEAP_MB.
CMD ["node", "--max-old-space-size=512", "--max-semi-space-size=32", "--no-allocation-site-pretenuring", "dist/src/main.js"]
