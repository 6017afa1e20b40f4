# syntax=docker/dockerfile:1
#
# One image, three uses:
#   bot:    docker run IMAGE                            (node dist/bot/main.js)
#   worker: docker run IMAGE dist/jobs/worker-main.js   (node dist/jobs/worker-main.js)
#   probe:  the worker's privileged probe pods run this same image (PROBE_IMAGE)
#           with `node /app/dist/jobs/probes/program/main.js --input …`, as root
#           with a few added capabilities (jobs/probes/pod-spec.ts); they need
#           the tools installed in the runtime stage below.
# The Kubernetes manifests in deploy/ set the argument for each.
#
# The base image is pinned by digest: node:24-bookworm-slim as public builds record it
# for Node 24.18.0 (taken from those records; the development machine reaches no
# container registry to check it). Docker uses the digest and ignores the tag. npm
# scripts, CI and the tests run the Node of the `node` dev dependency (package.json);
# move both together: `docker buildx imagetools inspect node:24-bookworm-slim`.

# ---- build: compile TypeScript, then drop dev dependencies -------------------
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS build
WORKDIR /app

# Dependencies first, from the lock file only, so this layer is cached until it
# changes. --ignore-scripts: no install scripts from the dependency tree (and
# not this package's `prepare` either; the build runs explicitly below). The only
# runtime dependency with an install script, msgpackr-extract (bullmq), ships
# prebuilt binaries as optional packages and falls back to JavaScript, so skipping
# its script loses nothing. @resvg/resvg-js (the memory chart) has no install
# script either: its native binary is an optional package per platform. Build
# and runtime stages share the base image, so those prebuilt binaries match the
# runtime's libc (glibc). The `node` dev dependency (the runtime for npm scripts on
# developers' machines and CI) installs its binary from its preinstall script, so here
# it installs nothing and the image's own Node runs the build; esbuild needs no
# script either (its binary is an optional package, as above).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# tsconfig.build.json compiles all of bot/ and jobs/, so the probe program is in
# dist/ too: dist/jobs/probes/program/main.js and netcheck-child.js (which
# netcheck runs with node inside the target's network namespace).
COPY tsconfig.json tsconfig.build.json ./
COPY bot ./bot
COPY jobs ./jobs
COPY bin ./bin
# The build script: tsc into a staging directory, the bundles of the CLI, the bot and
# the worker (esbuild: dist/bundle/, one file each; dist/bot/main.js and
# dist/jobs/worker-main.js load them), then each file renamed into dist/.
COPY scripts/build.mjs ./scripts/build.mjs
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime -----------------------------------------------------------------
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS runtime
ENV NODE_ENV=production
# The entries turn on Node's module compile cache; it lives in the writable /tmp the
# manifests mount (the root filesystem is read-only), so a restarted container in the
# same pod starts from cached code. Without a writable directory Node runs without it.
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache
WORKDIR /app

# The probe pods' tools (only probe pods use them; bot and worker run as 65532
# without capabilities, so they can do nothing privileged with them):
#   strace             strace probe
#   tcpdump            tcpdump probe. Debian's build drops root to its own user
#                      `tcpdump` (created by the package) once the capture is
#                      open, hence SETUID/SETGID in that probe pod's capabilities;
#                      the pcap goes to stdout (-w -), so the user needs no file.
#   util-linux         nsenter: netcheck and tcpdump enter the target's network
#                      namespace (Essential in Debian, named for the dependency)
#   coreutils          timeout: every tool runs under a hard time limit (Essential too)
#   fonts-dejavu-core  the memory chart's text (DejaVu Sans; resvg draws no text without a font)
# No recommended packages; the package lists are removed in the same layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      strace \
      tcpdump \
      util-linux \
      coreutils \
      fonts-dejavu-core \
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

# The bot's HTTP receiver (/slack/events, /healthz, /readyz). The worker listens on nothing.
EXPOSE 3000

ENTRYPOINT ["node"]
CMD ["dist/bot/main.js"]
