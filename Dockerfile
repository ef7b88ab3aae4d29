# ServiceSystem: the server, the console and the visitor page in one image.
# Build: docker build -t servicesystem .      Run: see compose.yaml and docs/DEPLOY.md.
#
# Two stages on the same Debian base, so the native modules (better-sqlite3, sharp,
# @node-rs/argon2) built or fetched in the first run unchanged in the second.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: dependencies, TypeScript, the two browser apps
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The manifests first: the dependency layer is reused until one of them changes.
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/chat-client/package.json packages/chat-client/
COPY apps/server/package.json apps/server/
COPY apps/console/package.json apps/console/
COPY apps/widget/package.json apps/widget/
RUN npm ci
COPY . .
# The same build as `npm run build`: server and shared packages (tsc -b), then the console and
# the visitor page with their compressed copies.
RUN node scripts/build.mjs --force
# What the runtime needs: production dependencies only.
RUN npm prune --omit=dev

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
# Debian's FFmpeg (and ffprobe) for video covers, durations and sizes; found on PATH.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    DATA_DIR=/data \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages/protocol/package.json ./packages/protocol/
COPY --from=build /app/packages/protocol/dist ./packages/protocol/dist
COPY --from=build /app/packages/chat-client/package.json ./packages/chat-client/
COPY --from=build /app/packages/chat-client/dist ./packages/chat-client/dist
COPY --from=build /app/apps/server/package.json ./apps/server/
COPY --from=build /app/apps/server/dist ./apps/server/dist
COPY --from=build /app/apps/console/package.json ./apps/console/
COPY --from=build /app/apps/console/dist ./apps/console/dist
COPY --from=build /app/apps/widget/package.json ./apps/widget/
COPY --from=build /app/apps/widget/dist ./apps/widget/dist
# The code belongs to root and is read-only for the server's user; only /data is writable.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# GET /healthz answers 200 while the database answers; node's own fetch, no curl needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/server/dist/main.js"]
