# syntax=docker/dockerfile:1
#
# One image, two processes:
#   bot:    docker run IMAGE                            (node dist/bot/main.js)
#   worker: docker run IMAGE dist/jobs/worker-main.js   (node dist/jobs/worker-main.js)
# The Kubernetes manifests in deploy/ set the argument for each.
#
# The base image is pinned by tag; pin it by digest too (node:20-bookworm-slim@sha256:…)
# where your registry policy asks for reproducible builds.

# ---- build: compile TypeScript, then drop dev dependencies -------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# Dependencies first, from the lock file only, so this layer is cached until it
# changes. --ignore-scripts: no install scripts from the dependency tree (and
# not this package's `prepare` either; the build runs explicitly below). The only
# runtime dependency with an install script, msgpackr-extract (bullmq), ships
# prebuilt binaries as optional packages and falls back to JavaScript, so skipping
# its script loses nothing. Build and runtime stages share the base image, so
# those prebuilt binaries match the runtime's libc.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY bot ./bot
COPY jobs ./jobs
COPY bin ./bin
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime -----------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Owned by root and not writable by the runtime user: the app cannot alter its
# own code (the manifests also mount the root filesystem read-only).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# Numeric uid/gid (not the image's `node` user), so that Kubernetes'
# runAsNonRoot can verify it; 65532 is the conventional "nonroot" id.
USER 65532:65532

# The bot's HTTP receiver (/slack/events, /healthz, /readyz). The worker listens on nothing.
EXPOSE 3000

ENTRYPOINT ["node"]
CMD ["dist/bot/main.js"]
