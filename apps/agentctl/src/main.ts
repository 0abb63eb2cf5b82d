// `agentctl` entry point (`npm run -s agentctl -- <command>` or the installed bin): runs
// the CLI on this process's arguments and exits with its code.
import path from 'node:path';
import { runAgentctl } from './cli';

const rootDir = path.resolve(__dirname, '../../..');

runAgentctl(process.argv.slice(2), { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) }, rootDir).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`agentctl: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
