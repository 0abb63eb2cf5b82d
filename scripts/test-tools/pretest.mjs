// `npm test`'s pretest: the system programs the tests run must be on PATH. When they are,
// this costs a few milliseconds; when some are missing it installs them with apt-get if it
// can (root on Debian), or stops with one line per missing program saying how to get it.
// Plain JavaScript so it starts in well under a second, before anything is compiled.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';

const { tools } = JSON.parse(readFileSync(new URL('./system-tools.json', import.meta.url), 'utf8'));

function onPath(command) {
  if (path.isAbsolute(command)) return executable(command);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The program is there and, for a Python module (`module`), imports it. */
function present(tool) {
  if (!onPath(tool.command)) return false;
  if (tool.module === undefined) return true;
  return spawnSync(tool.command, ['-c', `import ${tool.module}`], { stdio: 'ignore' }).status === 0;
}

const describe = (tool) => (tool.module === undefined ? `\`${tool.command}\`` : `\`${tool.command}\` with the module ${tool.module}`);

const missing = tools.filter((tool) => !present(tool));
if (missing.length === 0) process.exit(0);

const packages = missing.map((tool) => tool.debian);
const canApt = process.getuid?.() === 0 && onPath('apt-get');
if (!canApt) {
  for (const tool of missing) {
    process.stderr.write(`pretest: ${describe(tool)} is missing; install it with \`sudo apt-get install ${tool.debian}\` (used by ${tool.usedBy})\n`);
  }
  process.exit(1);
}

process.stdout.write(`pretest: installing ${packages.join(', ')} with apt-get (the tests run them)\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...packages]]) {
  const result = spawnSync('apt-get', args, { env, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    process.stderr.write(`pretest: \`apt-get ${args.join(' ')}\` failed; install ${packages.join(', ')} by hand\n`);
    process.exit(1);
  }
}
const stillMissing = missing.filter((tool) => !present(tool));
if (stillMissing.length > 0) {
  for (const tool of stillMissing) process.stderr.write(`pretest: ${describe(tool)} is still missing after installing ${tool.debian}\n`);
  process.exit(1);
}
