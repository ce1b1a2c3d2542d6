# The gateway image: the compiled JavaScript (npm run build) on plain Node 24, the active LTS.
# No native addon (SQLite is Node's built-in node:sqlite), so nothing is compiled here.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY contracts ./contracts
COPY gateway ./gateway
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# Young generation as on Node 20 (16 MB semi-spaces): Node 24 sizes it from the machine's memory,
# which costs ≈ 80 MB of RSS with 100k cached SKUs (docs/performance.md, "Memory on Node 24").
ENV NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
# Outside a container the gateway listens on 127.0.0.1 unless told otherwise; in one, the port is
# published through the container's own interface, so the image listens on every interface.
ENV GATEWAY_HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["node", "dist/gateway/src/main.js"]
CMD ["serve"]
