// The benchmark's yardstick: a bare Express 5 app doing the honest minimum of "record and
// enqueue" (one PostgreSQL INSERT and one BullMQ add) and of "record a webhook" (one INSERT),
// with no authentication, validation, logging or metrics. Plain JavaScript, its own process.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import express from 'express';
import Redis from 'ioredis';
import pg from 'pg';

const { BASELINE_PORT, DATABASE_URL, REDIS_URL, QUEUE_PREFIX } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
const queue = new Queue('hetzner', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: QUEUE_PREFIX });
await pool.query('CREATE TABLE IF NOT EXISTS baseline_record (id text PRIMARY KEY, subject text NOT NULL, body text, at timestamptz NOT NULL DEFAULT now())');

const app = express();
app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
// One INSERT, one BullMQ add, 202: what accepting a stop costs at the very least.
app.post('/agents/:id/stop', async (req, res) => {
  const id = randomUUID();
  await pool.query('INSERT INTO baseline_record (id, subject) VALUES ($1, $2)', [id, req.params.id]);
  await queue.add('agent.stop', { operationId: id }, { jobId: id, attempts: 8, backoff: { type: 'exponential', delay: 2_000 }, removeOnComplete: { age: 604_800, count: 5_000 } });
  res.status(202).json({ operation: { id } });
});
// One INSERT of the raw body, 200: what receiving a webhook costs at the very least.
app.post('/webhook', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
  await pool.query('INSERT INTO baseline_record (id, subject, body) VALUES ($1, $2, $3)', [randomUUID(), 'webhook', req.body.toString('utf8')]);
  res.json({ received: true });
});
app.listen(Number(BASELINE_PORT), '127.0.0.1');
