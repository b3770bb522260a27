# syntax=docker/dockerfile:1

# Build: compile TypeScript with the dev dependencies, then drop them.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run: git for the worker's clones, bubblewrap (bwrap) and util-linux's prlimit
# for the sandbox every agent run and check command starts in, no compiler, not
# root. bubblewrap needs unprivileged user namespaces and its own /proc, which
# Docker's default seccomp and AppArmor profiles and masked /proc forbid: the
# worker's container needs the security options in docker-compose.yml (or set
# CHANT_SANDBOX=wrapper with your own isolation); see docs/deployment.md,
# "Containment". The web process runs no sandbox and needs none of this.
FROM node:22-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates tini bubblewrap util-linux \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
COPY prompts ./prompts
USER node
EXPOSE 3000
# tini forwards SIGTERM so workers shut down gracefully. --ignore-scripts skips
# the `prestart` build: the image is already built.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["npm", "start", "--ignore-scripts"]
