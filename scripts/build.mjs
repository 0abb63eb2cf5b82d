// `npm run build`: each app's entry point bundled into apps/<app>/dist/main.js, so production
// runs plain JavaScript (no TypeScript compiler in the process). Our workspace packages are
// bundled in; every npm dependency stays a require() of node_modules.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const APPS = ['ingress', 'worker', 'agentctl', 'cloud-sim'];

/** Bare imports of npm packages stay external; `@agent-lifecycle/*` and relative imports are bundled. */
const npmDependenciesExternal = {
  name: 'npm-dependencies-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@agent-lifecycle/') ? undefined : { path: args.path, external: true }));
  },
};

const started = Date.now();
await Promise.all(
  APPS.map(async (app) => {
    const outdir = path.join(root, 'apps', app, 'dist');
    rmSync(outdir, { recursive: true, force: true });
    await build({
      entryPoints: [path.join(root, 'apps', app, 'src', 'main.ts')],
      outfile: path.join(outdir, 'main.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      // Error stack traces name our functions (pino and our logs print them).
      keepNames: true,
      logLevel: 'warning',
      plugins: [npmDependenciesExternal],
    });
  }),
);
process.stdout.write(`built ${APPS.map((app) => `apps/${app}/dist/main.js`).join(', ')} in ${Date.now() - started} ms\n`);
