# syntax=docker/dockerfile:1.7
# The gpu-worker on an NVIDIA CUDA 12 + cuDNN 9 runtime (what onnxruntime-node's CUDA 12 EP links
# against) with Node 20. Build from the repository root:
#   docker build -f infra/docker/gpu-worker.Dockerfile -t REGISTRY/guidegate-gpu-worker:TAG .
# Run on a GPU host (NVIDIA Container Toolkit):
#   docker run --gpus 1 -p 8790:8790 -e GG_INTERNAL_SECRET=... -e GG_S3_BUCKET=... REGISTRY/guidegate-gpu-worker:TAG

ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04

# Node comes from the official image: the same release binary, no curl | bash.
FROM ${NODE_IMAGE} AS node

# ---- build: npm ci and the CUDA execution provider (needs the network, not a GPU) ----
FROM ${CUDA_IMAGE} AS build
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
COPY --from=node /usr/local/include/node /usr/local/include/node
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
# Native modules normally use prebuilt binaries; the toolchain is the fallback for node-gyp.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/package.json
COPY edge/package.json edge/package.json
COPY gpu-worker/package.json gpu-worker/package.json
# npm ci needs the package.json of every workspace in the lockfile, even one the image never runs.
COPY eval/package.json eval/package.json
COPY stack/package.json stack/package.json
# node:20's npm 10 ignores package.json's allowScripts denial, so onnxruntime-node's own download is
# skipped through the variable its install script reads (and .npmrc's npm >= 11.16 requirement waived);
# the next step installs the CUDA 12 EP on purpose.
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --engine-strict=false --no-audit --no-fund
RUN cd node_modules/onnxruntime-node && node script/install.js --onnxruntime-node-install=cuda12
# Development tools the worker never imports (test/infra checks this list against gpu-worker/src).
RUN rm -rf node_modules/deno node_modules/@deno node_modules/wrangler node_modules/workerd \
      node_modules/@cloudflare node_modules/miniflare node_modules/playwright-core node_modules/@biomejs \
      node_modules/typescript node_modules/vitest node_modules/vite node_modules/autocannon \
      node_modules/s3rver node_modules/openai node_modules/better-sqlite3
COPY tsconfig.json ./
COPY shared/src shared/src
COPY gpu-worker/src gpu-worker/src
COPY models models

# ---- runtime ----
FROM ${CUDA_IMAGE}
COPY --from=node /usr/local/bin/node /usr/local/bin/node
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --no-create-home --home-dir /tmp guidegate
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production \
    HOME=/tmp \
    GG_PROVIDER=cuda \
    GG_DEVICE_ID=0 \
    GG_WORKER_HOST=0.0.0.0 \
    GG_WORKER_PORT=8790 \
    GG_MODEL_DIRS=/app/models/shapes-32
USER 10001
EXPOSE 8790
# Kubernetes uses its own probes; this one is for plain `docker run`.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GG_WORKER_PORT||8790)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM directly (gpu-worker/src/main.ts stops on it).
CMD ["node", "--import", "tsx", "gpu-worker/src/main.ts"]
