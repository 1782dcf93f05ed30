# syntax=docker/dockerfile:1
# semtel container image.
#
#   docker build -t semtel .
#   docker run --rm -p 4317:4317 -p 4318:4318 -p 13133:13133 -e JAEGER_ENDPOINT=jaeger:4317 semtel
#   docker run --rm -v "$PWD/my.yaml:/etc/semtel/config.yaml:ro" -v semtel-data:/var/lib/semtel semtel   # your own config, state kept
#   docker run --rm semtel validate /etc/semtel/config.yaml                       # any CLI command
#
# The default config (collector-config/semtel-container.yaml) binds 0.0.0.0, since semtel's own
# defaults listen on loopback only, which nothing outside the container could reach.
#
# Without a Docker engine, `node scripts/replay-docker-build.mjs` runs these steps outside Docker.

ARG NODE_IMAGE=node:20-bookworm-slim
# package.json's packageManager: another pnpm may lay out node_modules, or read the lockfile, differently.
ARG PNPM_VERSION=10.34.9

# ---- build: full workspace install, compile, then a production-only copy of the service ----
FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION
ENV CI=true
WORKDIR /src
# The lockfile alone fills pnpm's store, so this layer is reused until dependencies change.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN npx -y pnpm@${PNPM_VERSION} fetch
COPY . .
# --ignore-scripts: the root `prepare` would compile the whole workspace, tests included; only the
# service and the packages it references are compiled below.
RUN npx -y pnpm@${PNPM_VERSION} install --offline --frozen-lockfile --ignore-scripts \
 && npx -y pnpm@${PNPM_VERSION} exec tsc -b packages/service
# `deploy` copies the service with its workspace packages (their package.json `files`) and
# production dependencies only into /out, from the lockfile and offline. inject-workspace-packages
# (set for this command only; the workspace itself keeps linking its packages) is what pnpm 10
# needs to deploy from the lockfile: `--legacy` would resolve again, which needs registry metadata
# that `fetch` and a frozen install never store (ERR_PNPM_NO_OFFLINE_META).
# The tests compiled beside the code (`*.test.js`) are not shipped.
RUN npx -y pnpm@${PNPM_VERSION} --filter @semtel/service deploy --prod --offline --ignore-scripts \
      --config.inject-workspace-packages=true /out \
 && find /out/dist /out/node_modules/.pnpm/@semtel+*/node_modules/@semtel/*/dist -name '*.test.*' -delete

# ---- runtime: node + the deployed service, nothing else ----
FROM ${NODE_IMAGE} AS runtime
# --expose-gc lets the memory_limiter force a collection above its hard limit.
ENV NODE_ENV=production \
    NODE_OPTIONS=--expose-gc \
    SEMTEL_HEALTH_URL=http://127.0.0.1:13133/
COPY --from=build /out /app
COPY collector-config/semtel-container.yaml /etc/semtel/config.yaml
# `semtel` on the PATH, for `docker exec <container> semtel validate …`; the working directory is
# where relative paths in a config (file exporters, the durable queue's ./data/durable-queue) land,
# owned by the runtime user.
RUN printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/semtel \
 && chmod 0755 /usr/local/bin/semtel \
 && mkdir -p /var/lib/semtel/data \
 && chown -R 1000:1000 /var/lib/semtel
WORKDIR /var/lib/semtel
# State (a durable queue's store, file exporters' output) outlives the container on a volume, and
# is never written into the container's layer. Docker creates an anonymous one when none is
# mounted; name it (-v semtel-data:/var/lib/semtel) to keep it across `docker run`s.
VOLUME ["/var/lib/semtel"]
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 4317 4318 13133 8888
# Slim images have no curl: node, which the image has, asks the health_check extension (200
# running, 503 otherwise), giving up after 2 s so a stuck connection is an answer too. The start
# period covers the durable queue's start: it verifies its store, and after an unclean stop in a
# new container it waits one 15 s lease for the old lock.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.SEMTEL_HEALTH_URL, { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# semtel handles SIGTERM itself (graceful shutdown within service.shutdown_timeout).
ENTRYPOINT ["semtel"]
CMD ["start", "--config", "/etc/semtel/config.yaml"]
