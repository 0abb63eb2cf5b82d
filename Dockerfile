# One image for every piece (ingress, workers, migrations); the compose file picks the
# command. Runs TypeScript through tsx's loader, as `npm start` does, with node itself as
# the process that receives SIGTERM (npm would not pass it on), so shutdowns are graceful.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production TURBO_TELEMETRY_DISABLED=1 PRISMA_HIDE_UPDATE_MESSAGE=1
COPY package.json package-lock.json prisma.config.ts tsconfig.json tsconfig.base.json ./
COPY prisma ./prisma
COPY apps ./apps
COPY packages ./packages
# Dev dependencies too: tsx runs the sources and the Prisma CLI migrates. The postinstall
# step generates the Prisma client into packages/db/src/generated.
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "apps/ingress/src/main.ts"]
