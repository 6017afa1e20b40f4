# syntax=docker/dockerfile:1
#
# Two images from one build:
#   runtime (the default target): the bot and the worker.
#     bot:    docker run IMAGE                            (node dist/bot/main.js)
#     worker: docker run IMAGE dist/jobs/worker-main.js   (node dist/jobs/worker-main.js)
#     No strace, no tcpdump, no nsenter: nothing privileged to run with, were it broken into.
#   probe (docker build --target probe): what the worker's privileged probe pods run
#     (PROBE_IMAGE), `node /app/dist/jobs/probes/program/main.js --input …` as root
#     with a few added capabilities (jobs/probes/pod-spec.ts), with the tools below.
# The Kubernetes manifests in deploy/ pin both by digest (base/kustomization.yaml,
# components/probes/kustomization.yaml); the worker refuses a PROBE_IMAGE without one.
#
# The base image is pinned by digest (node:24-bookworm-slim as public builds record it for
# Node 24.18.0; the development machine reaches no registry to check it), so a rebuild is
# reproducible and a moved tag cannot change it. npm scripts, CI and the tests run the Node
# of the `node` dev dependency (package.json); move both together, deliberately:
#   docker buildx imagetools inspect node:24-bookworm-slim   (the "Digest:" line)
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
# Set by the release build (docker build --build-arg VERSION=… --build-arg REVISION=$(git rev-parse HEAD)).
ARG VERSION=0.1.0
ARG REVISION=unknown

# ---- build: compile TypeScript, then drop dev dependencies -------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Dependencies first, from the lock file only, so this layer is cached until it
# changes. --ignore-scripts: no install scripts from the dependency tree (and
# not this package's `prepare` either; the build runs explicitly below). The only
# runtime dependency with an install script, msgpackr-extract (bullmq), ships
# prebuilt binaries as optional packages and falls back to JavaScript, so skipping
# its script loses nothing. @resvg/resvg-js (the memory chart) has no install
# script either: its native binary is an optional package per platform. Build
# and runtime stages share the base image, so those prebuilt binaries match the
# runtime's libc (glibc).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# tsconfig.build.json compiles all of bot/ and jobs/, so the probe program is in
# dist/ too: dist/jobs/probes/program/main.js and netcheck-child.js (which
# netcheck runs with node inside the target's network namespace).
COPY tsconfig.json tsconfig.build.json ./
COPY bot ./bot
COPY jobs ./jobs
COPY bin ./bin
# The build script (tsc into a staging directory, then each file renamed into dist/).
COPY scripts/build.mjs ./scripts/build.mjs
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- app: what both images share ---------------------------------------------
FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production
# Node 24's module compile cache, on the writable /tmp the manifests mount.
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache
WORKDIR /app

# fonts-dejavu-core: the memory chart's text (DejaVu Sans; resvg draws no text
# without a font). The worker draws the chart, so both images have it.
# No recommended packages; the package lists are removed in the same layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# Owned by root and not writable by the runtime user: the app cannot alter its
# own code (the manifests also mount the root filesystem read-only).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# Numeric uid/gid (not the image's `node` user), so that Kubernetes'
# runAsNonRoot can verify it; 65532 is the conventional "nonroot" id. Probe
# pods override it (runAsUser: 0) in their own securityContext.
USER 65532:65532
ENTRYPOINT ["node"]

# ---- probe: the privileged probe pods' image -----------------------------------
FROM app AS probe
ARG VERSION
ARG REVISION
USER 0:0
# The probe pods' tools:
#   strace             strace probe
#   tcpdump            tcpdump probe. Debian's build drops root to its own user
#                      `tcpdump` (created by the package) once the capture is
#                      open, hence SETUID/SETGID in that probe pod's capabilities;
#                      the pcap goes to stdout (-w -), so the user needs no file.
#   util-linux         nsenter: netcheck and tcpdump enter the target's network
#                      namespace (Essential in Debian, named for the dependency)
#   coreutils          timeout: every tool runs under a hard time limit (Essential too)
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      strace \
      tcpdump \
      util-linux \
      coreutils \
 && rm -rf /var/lib/apt/lists/*
USER 65532:65532
LABEL org.opencontainers.image.title="poddebug-probe" \
      org.opencontainers.image.description="poddebug's privileged node probes (strace, tcpdump, nsenter): run only by the worker's probe pods" \
      org.opencontainers.image.source="https://github.com/example/poddebug" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"
CMD ["dist/jobs/probes/program/main.js"]

# ---- runtime: the bot and the worker (the default target, so last) ------------
FROM app AS runtime
ARG VERSION
ARG REVISION
# nsenter comes with util-linux, which Debian marks Essential (it cannot be
# uninstalled): remove the binary, so that this image enters no namespace.
# (strace and tcpdump were never installed here.)
USER 0:0
RUN rm -f /usr/bin/nsenter
USER 65532:65532
LABEL org.opencontainers.image.title="poddebug" \
      org.opencontainers.image.description="poddebug: the Slack bot and the cluster worker" \
      org.opencontainers.image.source="https://github.com/example/poddebug" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"

# The bot's HTTP receiver (/slack/events, /healthz, /readyz) and the worker's
# health port are set by the manifests.
EXPOSE 3000

CMD ["dist/bot/main.js"]
