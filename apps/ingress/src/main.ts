// Ingress entry point: reads the configuration and serves the HTTP API.
import { createServer } from 'node:http';
import { loadConfigOrExit } from '@agent-lifecycle/config';
import { createLogger } from '@agent-lifecycle/logger';

const config = loadConfigOrExit();
const logger = createLogger('ingress', { level: config.logLevel });

createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: 'ok' }));
}).listen(config.port, () => logger.info({ port: config.port }, 'ingress listening'));
