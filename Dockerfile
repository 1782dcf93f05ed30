# syntax=docker/dockerfile:1
# semtel container image.
#
#   docker build -t semtel .
#   docker run --rm -p 4317:4317 -p 4318:4318 -p 13133:13133 -e JAEGER_ENDPOINT=jaeger:4317 semtel
#   docker run --rm -v "$PWD/my.yaml:/etc/semtel/config.yaml:ro" semtel          # your own config
#   docker run --rm semtel validate /etc/semtel/config.yaml                       # any CLI command
#
# The default config (collector-config/semtel-container.yaml) binds 0.0.0.0, since semtel's own
# defaults listen on loopback only, which nothing outside the container could reach.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full workspace install, compile, then a production-only copy of the service ----
FROM ${NODE_IMAGE} AS build
ENV CI=true
WORKDIR /src
# The lockfile alone fills pnpm's store, so this layer is reused until dependencies change.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN npx -y pnpm@10 fetch
COPY . .
# --ignore-scripts: the root `prepare` would compile the whole workspace, tests included; only the
# service and the packages it references are compiled below.
RUN npx -y pnpm@10 install --offline --frozen-lockfile --ignore-scripts \
 && npx -y pnpm@10 exec tsc -b packages/service
# `deploy` copies the service with its workspace packages (their package.json `files`) and
# production dependencies only into /out. `--legacy`: pnpm 10 otherwise wants
# inject-workspace-packages=true in the workspace settings.
RUN npx -y pnpm@10 --filter @semtel/service deploy --prod --legacy --offline --ignore-scripts /out

# ---- runtime: node + the deployed service, nothing else ----
FROM ${NODE_IMAGE} AS runtime
# --expose-gc lets the memory_limiter force a collection above its hard limit.
ENV NODE_ENV=production \
    NODE_OPTIONS=--expose-gc \
    SEMTEL_HEALTH_URL=http://127.0.0.1:13133/
COPY --from=build /out /app
COPY collector-config/semtel-container.yaml /etc/semtel/config.yaml
# `semtel` on the PATH, for `docker exec <container> semtel validate …`; the working directory is
# where relative paths in a config (file exporters, `./data`) land, owned by the runtime user.
RUN printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/semtel \
 && chmod 0755 /usr/local/bin/semtel \
 && mkdir -p /var/lib/semtel \
 && chown 1000:1000 /var/lib/semtel
WORKDIR /var/lib/semtel
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 4317 4318 13133 8888
# Slim images have no curl: node asks the health_check extension (200 running, 503 otherwise).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.SEMTEL_HEALTH_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# semtel handles SIGTERM itself (graceful shutdown within service.shutdown_timeout).
ENTRYPOINT ["semtel"]
CMD ["start", "--config", "/etc/semtel/config.yaml"]
