# syntax=docker/dockerfile:1
# Multi-stage image: build with dev dependencies, run with production dependencies only.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npx nest build

FROM node:24-bookworm-slim AS runtime
# tini as PID 1: signals reach Node and orphaned grandchildren of stdio servers are reaped.
# bubblewrap: the bwrap sandbox driver for stdio MCP servers; passt (pasta), nftables and iproute2:
# their outbound network with the host kept out (docs/process.md, "Network").
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini bubblewrap passt nftables iproute2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The demo config needs the dev-only demo servers; the image starts empty: mount your own config
# and point DEPLOYSTACK_MCP_CONFIG at it.
# HOST=0.0.0.0 is reachable from outside the container, so MCP clients must authenticate: the
# image defaults to static bearer tokens with an empty list, i.e. it starts (health and metrics
# answer) but refuses every MCP client (401) until you mount your own tokens file and point
# DEPLOYSTACK_AUTH_TOKENS_FILE at it, or choose DEPLOYSTACK_AUTH=jwt (docs/security.md). Managed
# mode ignores DEPLOYSTACK_AUTH: the backend's OAuth tokens authenticate clients there.
# The image runs as a non-root user, which cannot give sandboxed servers their filtered network
# (named network namespaces need root): stdio servers run without network by default. Run the
# container as root (--user 0) and set DEPLOYSTACK_SANDBOX_NETWORK=egress for npx/uvx servers and
# servers that call SaaS APIs; each server still drops to its team's own uid.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3001 DEPLOYSTACK_DATA_DIR=/data \
    DEPLOYSTACK_SANDBOX_NETWORK=none \
    DEPLOYSTACK_MCP_CONFIG=/app/config/mcp-servers.empty.json \
    DEPLOYSTACK_AUTH=tokens DEPLOYSTACK_AUTH_TOKENS_FILE=/app/config/auth-tokens.empty.json
COPY package.json package-lock.json ./
# --omit=dev keeps the optional dependencies: the local embedding model of
# DEPLOYSTACK_EMBEDDINGS_LOCAL (32 MB, loaded only when set; docs/search.md) is in the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
RUN mkdir -p /data && chown node:node /data
# Numeric uid of the image's `node` user: Kubernetes can verify runAsNonRoot only for a numeric USER
# (deploy/base/deployment.yaml also sets runAsUser: 1000).
USER 1000:1000
VOLUME ["/data"]
EXPOSE 3001
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3001)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
# The flags of scripts/node-flags.txt (docs/benchmarks.md "Memory").
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=20", "dist/main.js"]
