import { ConflictError, InvalidInputError, NotFoundError, PermanentError, RetryableError } from '@agent-lifecycle/errors';
import { HttpError, toErrorResponse } from '../src';

describe('the one mapping from errors to HTTP answers', () => {
  it.each([
    [new NotFoundError('agent_not_found', 'No such agent.'), 404, 'agent_not_found'],
    [new ConflictError('agent_not_running', 'The agent is paused.'), 409, 'agent_not_running'],
    [new ConflictError('billing_suspended', 'Billing is past_due.'), 409, 'billing_suspended'],
    [new ConflictError('idempotency_key_reused', 'Key reused.'), 422, 'idempotency_key_reused'],
    [new InvalidInputError('validation_failed', 'Bad body.', [{ path: 'name', message: 'required' }]), 400, 'validation_failed'],
    [new HttpError(401, 'unauthorized', 'No token.'), 401, 'unauthorized'],
    [Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, expose: true }), 413, 'payload_too_large'],
    [Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400, expose: true }), 400, 'invalid_json'],
    [Object.assign(new Error('unsupported charset "LATIN1"'), { type: 'charset.unsupported', status: 415, expose: true }), 415, 'unsupported_media_type'],
  ])('answers %p with %i %s', (error, status, code) => {
    const response = toErrorResponse(error);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.internal).toBe(false);
  });

  it('keeps the details of a validation error for the client', () => {
    expect(toErrorResponse(new InvalidInputError('validation_failed', 'Bad body.', [{ path: 'name', message: 'required' }])).body).toEqual({
      error: { code: 'validation_failed', message: 'Bad body.', details: [{ path: 'name', message: 'required' }] },
    });
  });

  it('hides everything about internal failures behind a generic 500', () => {
    for (const error of [new Error('connect ECONNREFUSED 127.0.0.1:5432'), new PermanentError('hetzner_forbidden', 'token abc123 forbidden'), 'a string', null]) {
      const response = toErrorResponse(error);
      expect(response).toMatchObject({ status: 500, internal: true, body: { error: { code: 'internal_error', message: 'Internal error' } } });
    }
  });

  it('answers a retryable failure with 503 and a Retry-After, without the internal message', () => {
    const response = toErrorResponse(new RetryableError('redis_unavailable', 'redis at 10.0.0.5 refused', 2_500));
    expect(response.status).toBe(503);
    expect(response.headers).toEqual({ 'Retry-After': '3' });
    expect(JSON.stringify(response.body)).not.toContain('10.0.0.5');
  });

  it('does not trust a body-parser-looking error that is not meant to be exposed', () => {
    expect(toErrorResponse(Object.assign(new Error('stream encoding should not be set'), { type: 'stream.encoding.set', status: 500, expose: false })).status).toBe(500);
  });
});
