// The habits CI holds the code to, as part of `npm test` (CI runs nothing else): lint with
// the project's boundaries, a strict typecheck of every workspace, and no circular imports.
import { ROOT, sh } from './support/processes';

const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));

async function passes(script: string): Promise<void> {
  const result = await sh(`npm run -s ${script}`, env);
  // The output is the finding: show it when the check fails.
  expect({ script, code: result.code, output: result.code === 0 ? '' : `${result.stdout}${result.stderr}` }).toEqual({ script, code: 0, output: '' });
}

describe(`the code in ${ROOT}`, () => {
  it('passes lint, including the project boundaries (no process.env outside config, no deep imports)', () => passes('lint'), 180_000);
  it('typechecks strictly, tests and scripts included', () => passes('typecheck'), 180_000);
  it('has no circular imports', () => passes('cycles'), 120_000);
});
