// `npm run bench [ingress|engine] [options]`: runs the named benchmark, both by default, one
// after the other (they would only disturb each other's figures side by side).
import { parseIngressArgs, printIngressBench } from './ingress';
import { runEngineBench } from './engine';

const BENCHES = ['ingress', 'engine'] as const;

async function main(argv: string[]): Promise<void> {
  const named = BENCHES.filter((name) => argv.includes(name));
  const options = argv.filter((arg) => !(BENCHES as readonly string[]).includes(arg));
  for (const bench of named.length > 0 ? named : BENCHES) {
    if (bench === 'ingress') await printIngressBench(parseIngressArgs(options));
    else await runEngineBench(options);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
