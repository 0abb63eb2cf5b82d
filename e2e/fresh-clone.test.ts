// A fresh clone must need nothing but the README's two commands: `npm install` leaves the
// tree as committed, CI runs exactly the README's commands, and every system program the
// tests run is listed once (scripts/test-tools) and documented.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, sh } from './support/processes';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));

/** The shell commands in the README's fenced `sh` blocks of one section. */
function readmeCommands(section: string): string[] {
  const readme = read('README.md');
  const start = readme.indexOf(`## ${section}\n`);
  if (start < 0) throw new Error(`README has no section "${section}"`);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks.flatMap((block) => block.split('\n')).flatMap((line) => line.split('&&')).map((command) => command.trim()).filter((command) => command !== '' && !command.startsWith('#'));
}

/** The commands .ci/run marks as the README's (the line after each `# ci-command`), without its redirections and pipes. */
function ciCommands(): string[] {
  const lines = read('.ci/run').split('\n');
  const command = (line: string) => line.split(/\s+(?:\|\||\||2>&1)/)[0]!.trim();
  return lines.flatMap((line, index) => (line.trim() === '# ci-command' ? [command(lines[index + 1] ?? '')] : []));
}

describe('a fresh clone', () => {
  it('runs in CI exactly the set-up and test commands the README gives, and nothing else', () => {
    const readme = readmeCommands('Run it, test it');
    // `npm start` runs the product until Ctrl-C: CI runs the set-up before it and the tests.
    expect(readme).toEqual(['npm install', 'npm start', 'npm test']);
    expect(ciCommands()).toEqual(['npm install', 'npm test']);
    const ci = read('.ci/run');
    expect(ci).not.toMatch(/apt-get|\bnpm ci\b|npm run/);
  });

  it('keeps its lockfile as committed when npm install runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lockfile-'));
    try {
      // Only the manifests matter to the lockfile: copy them and let npm recompute it.
      for (const file of ['package.json', 'package-lock.json']) cpSync(path.join(ROOT, file), path.join(dir, file));
      for (const group of ['apps', 'packages']) {
        for (const name of readdirSync(path.join(ROOT, group))) {
          const manifest = path.join(group, name, 'package.json');
          if (existsSync(path.join(ROOT, manifest))) cpSync(path.join(ROOT, manifest), path.join(dir, manifest));
        }
      }
      const result = await sh(`cd ${JSON.stringify(dir)} && npm install --package-lock-only --ignore-scripts --no-audit --no-fund`, env);
      expect(result.stderr).not.toMatch(/npm error/);
      expect(result.code).toBe(0);
      const recomputed = readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
      // Equal text, so `git status` stays clean after `npm install` on a clone.
      expect(recomputed === read('package-lock.json') ? 'lockfile unchanged' : 'npm install would rewrite package-lock.json').toBe('lockfile unchanged');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('documents every system program the tests run, from the one list pretest reads', () => {
    const { tools } = JSON.parse(read('scripts/test-tools/system-tools.json')) as { tools: { command: string; debian: string }[] };
    expect(tools.length).toBeGreaterThan(0);
    const docs = read('docs/development.md');
    for (const tool of tools) expect(docs).toContain(`| \`${tool.command}\` | \`${tool.debian}\` |`);
  });

  it('finds those programs without installing anything when they are present', async () => {
    // This run's pretest already made sure they are; a second look must be silent and succeed.
    const result = await sh('node scripts/test-tools/pretest.mjs', env);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
