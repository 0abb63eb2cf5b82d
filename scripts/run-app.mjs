// `npm run ingress|worker|sim [-- args]`: with NODE_ENV=production the compiled
// apps/<app>/dist/main.js runs in this very process (built first when it is missing);
// anywhere else the TypeScript entry point runs through tsx, as `npm start` does.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [app, ...args] = process.argv.slice(2);
if (!app || !existsSync(path.join(root, 'apps', app, 'src', 'main.ts'))) {
  process.stderr.write(`usage: node scripts/run-app.mjs <app> [args]: no app "${app ?? ''}" under apps/\n`);
  process.exit(2);
}

if (process.env.NODE_ENV === 'production') {
  const main = path.join(root, 'apps', app, 'dist', 'main.js');
  if (!existsSync(main)) {
    process.stderr.write(`${path.relative(root, main)} is missing; building it first (npm run build)\n`);
    const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  // The app reads its arguments from process.argv, as if started as `node main.js args`.
  process.argv = [process.argv[0], main, ...args];
  await import(pathToFileURL(main).href);
} else {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'apps', app, 'src', 'main.ts'), ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
