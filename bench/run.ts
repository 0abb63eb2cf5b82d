// `npm run bench [ingress|engine] [options]` (engine options: calls, cancellation, thousand): runs the named benchmark, both by default, one
// after the other (they would only disturb each other's figures side by side).
import { parseIngressArgs, printIngressBench } from './ingress';
import { ENGINE_SCENARIOS, formatEngineBench, runEngineBench, type EngineScenario } from './engine';

const BENCHES = ['ingress', 'engine'] as const;

async function main(argv: string[]): Promise<void> {
  const named = BENCHES.filter((name) => argv.includes(name));
  const options = argv.filter((arg) => !(BENCHES as readonly string[]).includes(arg));
  for (const bench of named.length > 0 ? named : BENCHES) {
    if (bench === 'ingress') await printIngressBench(parseIngressArgs(options));
    else {
      const scenarios = options.filter((option): option is EngineScenario => (ENGINE_SCENARIOS as readonly string[]).includes(option));
      process.stdout.write(formatEngineBench(await runEngineBench(scenarios.length > 0 ? scenarios : ENGINE_SCENARIOS)));
    }
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
