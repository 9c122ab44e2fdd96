# The WedSync Analytics app image; docker-compose.yml runs one role of it per service.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production DATA_DIR=/data PORT=8080
EXPOSE 8080
ENTRYPOINT ["node", "--import", "tsx", "bin/wedsync.ts"]
CMD ["start"]
