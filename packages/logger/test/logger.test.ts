import { Writable } from 'node:stream';
import { createLogger } from '../src';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: createLogger('test', { destination }) };
}

describe('createLogger', () => {
  it('writes JSON lines with the logger name and message', () => {
    const { lines, logger } = capture();
    logger.info({ operationId: 'op_1' }, 'stopping agent');
    expect(lines[0]).toMatchObject({ name: 'test', msg: 'stopping agent', operationId: 'op_1', level: 30 });
  });

  it('redacts authorization headers, tokens, secrets and signatures', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', 'stripe-signature': 't=1,v1=dead', 'x-hub-signature-256': 'sha256=beef' } },
        config: { token: 'hcloud-token', webhookSecret: 'whsec_123', password: 'pw' },
        apiKey: 'tskey-123',
      },
      'request',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['Bearer abc', 't=1,v1=dead', 'sha256=beef', 'hcloud-token', 'whsec_123', '"pw"', 'tskey-123']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });
});
