// docker-compose.yml has no Docker engine here to run it: it is validated against the
// compose-spec JSON schema (as shipped in the dclint package) and read for what operators
// rely on: nothing overrides .env, Redis and PostgreSQL stay private, workers have health.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { ROOT } from './support/processes';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
}
interface ComposeFile {
  services: Record<string, Service>;
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const load = (file: string) => parse(read(file), { merge: true }) as ComposeFile;

function composeSchemaValidator() {
  const schemaFile = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  // The schema names draft-07 by an address Ajv does not know by that spelling: it is draft-07.
  delete schema.$schema;
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

describe('docker-compose.yml', () => {
  const validate = composeSchemaValidator();
  const compose = load('docker-compose.yml');
  const services = compose.services;
  const workers = Object.entries(services).filter(([name]) => name.startsWith('worker-'));

  it.each(['docker-compose.yml', 'docker-compose.local.yml'])('%s is valid against the compose-spec schema', (file) => {
    // Compose resolves YAML merge keys (`<<: *app`) before it validates; so does this.
    const valid = validate(parse(read(file), { merge: true }));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check catches a malformed file', () => {
    expect(validate(parse('services:\n  ingress:\n    ports: 3000\n    restart: sometimes\n'))).toBe(false);
  });

  it('says which Compose version it needs', () => {
    expect(read('docker-compose.yml')).toMatch(/^# Needs Docker Compose v2\.24\.0 or later/m);
  });

  it('lets .env (or the environment) set DATABASE_URL and REDIS_URL, with the compose network as the default', () => {
    for (const [name, service] of Object.entries(services).filter(([, s]) => s.environment?.DATABASE_URL !== undefined)) {
      expect([name, service.environment?.DATABASE_URL]).toEqual([name, expect.stringMatching(/^\$\{DATABASE_URL:-postgresql:\/\/\S+@postgres:5432\/agent_lifecycle\}$/)]);
    }
    for (const name of ['ingress', 'migrate', ...workers.map(([worker]) => worker)]) expect(services[name]?.environment?.DATABASE_URL).toBeDefined();
    expect(services.ingress?.environment?.REDIS_URL).toBe('${REDIS_URL:-redis://redis:6379}');
  });

  it('keeps the ingress on port 3000 inside its container, whatever PORT .env sets for the host', () => {
    expect(services.ingress?.environment?.PORT).toBe('3000');
    expect(services.ingress?.ports).toEqual(['${PORT:-3000}:3000']);
  });

  it('publishes neither Redis nor PostgreSQL, unless the local override is added', () => {
    expect(services.redis?.ports).toBeUndefined();
    expect(services.postgres?.ports).toBeUndefined();
    const local = load('docker-compose.local.yml').services;
    expect(local.redis?.ports).toEqual(['127.0.0.1:6379:6379']);
    expect(local.postgres?.ports).toEqual(['127.0.0.1:5432:5432']);
  });

  it('runs the compiled entry points, and the migration with the Prisma CLI in the same image', () => {
    expect(services.ingress?.command).toEqual(['node', 'apps/ingress/dist/main.js']);
    expect(services.migrate?.command).toEqual(['node', 'node_modules/prisma/build/index.js', 'migrate', 'deploy']);
    expect(workers.map(([name, service]) => [name, service.command])).toEqual(
      ['hetzner', 'tailscale', 'github', 'maintenance'].map((queue) => [`worker-${queue}`, ['node', 'apps/worker/dist/main.js', '--queues', queue]]),
    );
    expect(JSON.stringify(compose)).not.toContain('tsx');
  });

  it('gives every worker its metrics port and a healthcheck on /readyz there, and the ingress one on its own /readyz', () => {
    expect(workers).toHaveLength(4);
    for (const [, service] of workers) {
      expect(service.environment?.WORKER_METRICS_PORT).toBe('9464');
      expect(service.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:9464/readyz');
    }
    expect(services.ingress?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3000/readyz');
    expect(services['worker-hetzner']?.deploy?.replicas).toBe(3);
  });

  it('starts Prometheus and Grafana only with the monitoring profile, with the files of deploy/', () => {
    expect(services.prometheus?.profiles).toEqual(['monitoring']);
    expect(services.grafana?.profiles).toEqual(['monitoring']);
    expect(JSON.stringify(services.prometheus)).toContain('./deploy/prometheus/alerts.yml');
    expect(JSON.stringify(services.grafana)).toContain('./deploy/grafana/agent-lifecycle.json');
  });
});
