// docs/ is the project's own account of its contracts: these checks keep it true. The
// callback signing example verifies with the ingress's own verifier, its shell lines sign
// as documented, links resolve, and every variable and error code in use is documented.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { verifyCallbackSignature } from '@agent-lifecycle/ingress';
import { agentView, operationView } from '@agent-lifecycle/lifecycle';
import { ROOT, sh } from './support/processes';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const docs = readdirSync(path.join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`);

/** The fenced block right after `<!-- callback-example:NAME -->` in docs/webhooks.md. */
function example(name: string): string {
  const text = read('docs/webhooks.md');
  const match = new RegExp(`<!-- callback-example:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  if (!match?.[1]) throw new Error(`docs/webhooks.md has no callback-example:${name}`);
  return match[1];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces become dashes. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('the documentation', () => {
  describe('the worked example of a provisioning callback', () => {
    const body = example('body');
    const headers = Object.fromEntries(
      example('headers')
        .split('\n')
        .map((line) => line.split(': ') as [string, string]),
    );
    const secret = /With the secret `([^`]+)`/.exec(read('docs/webhooks.md'))?.[1] ?? '';
    const timestamp = headers['X-Callback-Timestamp'] ?? '';

    it('verifies with the ingress verifier at its timestamp', () => {
      expect(secret).toBe('cb_example_secret_do_not_use');
      expect(verifyCallbackSignature({ rawBody: Buffer.from(body), signature: headers['X-Hub-Signature-256'], timestamp }, secret, Number(timestamp))).toBe('valid');
      expect(JSON.parse(body)).toMatchObject({ job_id: expect.any(String), status: 'completed', server_id: expect.any(Number) });
    });

    it('stops verifying when a byte of the body changes, outside the 300 s window either way, or with another secret', () => {
      const signature = headers['X-Hub-Signature-256'];
      const verdict = (rawBody: string, now: number, key = secret) => verifyCallbackSignature({ rawBody: Buffer.from(rawBody), signature, timestamp }, key, now);
      expect(verdict(body.replace('61234567', '61234568'), Number(timestamp))).toBe('mismatch');
      expect(verdict(`${body} `, Number(timestamp))).toBe('mismatch');
      expect(verdict(body, Number(timestamp) + 300)).toBe('valid');
      expect(verdict(body, Number(timestamp) + 301)).toBe('expired');
      expect(verdict(body, Number(timestamp) - 301)).toBe('expired');
      expect(verdict(body, Number(timestamp), 'another_secret')).toBe('mismatch');
    });

    it('the workflow shell lines send a callback the ingress verifier accepts', async () => {
      const received: { headers: IncomingHttpHeaders; body: string }[] = [];
      const server = createServer((req, res) => {
        let text = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        req.on('end', () => {
          received.push({ headers: req.headers, body: text });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/github`;
        const env = { PATH: process.env.PATH ?? '', BODY: body, CALLBACK_SECRET: secret, CALLBACK_URL: url, GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1', STATUS: 'completed' };
        const result = await sh(example('shell'), env);
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
        const [delivery] = received;
        expect(delivery?.body).toBe(body);
        expect(delivery?.headers['x-delivery-id']).toBe('4242-1-completed');
        const sent = { rawBody: Buffer.from(delivery?.body ?? ''), signature: String(delivery?.headers['x-hub-signature-256']), timestamp: String(delivery?.headers['x-callback-timestamp']) };
        expect(verifyCallbackSignature(sent, secret)).toBe('valid');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  it('shows an Agent and an Operation with exactly the fields the API answers with', () => {
    const api = read('docs/api.md');
    const block = (heading: string) => {
      const match = new RegExp(`### ${heading}\\n\\n\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``).exec(api);
      if (!match?.[1]) throw new Error(`docs/api.md has no ${heading} example`);
      return JSON.parse(match[1].replace('[Operation]', '[]')) as Record<string, unknown>;
    };
    const now = new Date();
    type OperationRow = Parameters<typeof operationView>[0];
    type AgentRow = Parameters<typeof agentView>[0];
    const operation = { id: 'o', agentId: 'a', kind: 'stop', source: 'api', status: 'queued', attempts: 0, error: null, createdAt: now, finishedAt: null } as unknown as OperationRow;
    const instance = { serverId: BigInt(1), tailscaleDeviceId: 'd', tailscaleHostname: 'agent-a', ipv4: '203.0.113.1', status: 'running' };
    const agent = { id: 'a', name: 'n', status: 'active', suspendedBy: null, createdAt: now, instance, operations: [operation] } as unknown as AgentRow;
    const keys = (value: object) => Object.keys(value).sort();

    const documentedAgent = block('Agent');
    expect(keys(documentedAgent)).toEqual(keys(agentView(agent)));
    expect(keys(documentedAgent.instance as object)).toEqual(keys(agentView(agent).instance ?? {}));
    expect(keys(block('Operation'))).toEqual(keys(operationView(operation)));
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of ['README.md', ...docs]) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^(https?:|mailto:)/.test(target)) continue;
        const [filePart, anchor] = target.split('#');
        const resolved = filePart ? path.join(path.dirname(path.join(ROOT, file)), filePart) : path.join(ROOT, file);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target}`);
          continue;
        }
        if (anchor && resolved.endsWith('.md')) {
          const headings = [...readFileSync(resolved, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1] ?? ''));
          if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('is cited instead of DESIGN.md, which a clone does not have', () => {
    // git grep exits 1 when nothing matches.
    const citing = spawnSync('git', ['grep', '-l', 'DESIGN\\.md', '--', '.', ':!e2e/docs.test.ts'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: citing.status, files: citing.stdout.trim() }).toEqual({ status: 1, files: '' });
  });

  it('names every variable the configuration reads, in docs/environment.md and .env.example', () => {
    const source = read('packages/config/src/load-config.ts');
    const variables = new Set([...source.matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g), ...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((match) => match[1] ?? ''));
    expect(variables.size).toBeGreaterThan(25);
    const environment = read('docs/environment.md');
    const example = read('.env.example');
    expect([...variables].filter((name) => !environment.includes(`\`${name}\``))).toEqual([]);
    expect([...variables].filter((name) => !new RegExp(`^# ${name}=`, 'm').test(example))).toEqual([]);
  });

  it('lists every error code the API and agentctl can answer with', () => {
    const sources = [
      ...readdirSync(path.join(ROOT, 'apps/ingress/src'), { recursive: true, encoding: 'utf8' }).map((file) => `apps/ingress/src/${file}`),
      ...readdirSync(path.join(ROOT, 'packages/lifecycle/src/requests')).map((file) => `packages/lifecycle/src/requests/${file}`),
      'packages/lifecycle/src/accounts.ts',
    ].filter((file) => file.endsWith('.ts'));
    const codes = new Set(
      sources.flatMap((file) =>
        [...read(file).matchAll(/(?:HttpError\(\d{3}, |(?:NotFound|Conflict|InvalidInput|Permanent|Retryable)Error\(|code: |body\()'([a-z][a-z_]+)'/g)].map((match) => match[1] ?? ''),
      ),
    );
    expect(codes.size).toBeGreaterThan(20);
    const documented = `${read('docs/api.md')}\n${read('docs/webhooks.md')}\n${read('docs/cli.md')}`;
    expect([...codes].filter((code) => !documented.includes(`\`${code}\``))).toEqual([]);
  });
});
