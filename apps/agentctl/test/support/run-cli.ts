// Runs agentctl as operators do, in a child process, against the test's database and
// queue prefix, and hands back its exit code and both output streams.
import path from 'node:path';
import { runProcess, testRedisUrl, type ProcessResult } from '@agent-lifecycle/testing';

export const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'apps/agentctl/src/main.ts');

export type CliResult = ProcessResult;

/** The environment of a sandbox operator: every secret set, so nothing comes from .data/. */
export function cliEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    REDIS_URL: testRedisUrl,
    STRIPE_WEBHOOK_SECRET: 'whsec_agentctl_test',
    GITHUB_CALLBACK_SECRET: 'callback-secret',
    BULL_BOARD_PASSWORD: 'board-password',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

export function agentctl(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runProcess(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env });
}

/** The non-empty lines of a stream, so "one clear line" can be asserted exactly. */
export const linesOf = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
