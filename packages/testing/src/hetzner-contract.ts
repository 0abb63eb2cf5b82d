// Hetzner's answers as documented today, kept once as JSON in `contracts/hetzner/`: the
// adapter's tests read them as answers, the simulator's tests hold its answers to their
// shape. When Hetzner changes again, those files are the one place to update.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const folder = path.join(__dirname, '..', 'contracts', 'hetzner');

export interface HetznerContractAnswer {
  description: string;
  /** The request this answers, e.g. `GET /servers/{id}`. */
  request: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(path.join(folder, file), 'utf8'));
}

/** Every documented answer by name (the file name without `.json`). */
export function hetznerContract(): Record<string, HetznerContractAnswer> {
  const answers: Record<string, HetznerContractAnswer> = {};
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.json') && name !== 'removed-fields.json').sort()) {
    answers[file.replace(/\.json$/, '')] = readJson(file) as HetznerContractAnswer;
  }
  return answers;
}

/** One documented answer; fails loudly for a name the folder does not have. */
export function hetznerAnswer(name: string): HetznerContractAnswer {
  const answer = hetznerContract()[name];
  if (!answer) throw new Error(`no Hetzner contract answer ${name} in ${folder}`);
  return structuredClone(answer);
}

/** Fields the API no longer sends; no answer may carry them anywhere. */
export function removedHetznerFields(): string[] {
  return (readJson('removed-fields.json') as { fields: string[] }).fields;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * How `actual` differs in shape from the documented `expected`: every field the document has
 * must be there with the same JSON type (null on either side matches any type), arrays are
 * compared by their first element, and no removed field may appear at any depth.
 */
export function shapeDifferences(expected: unknown, actual: unknown, removed: readonly string[] = removedHetznerFields(), at = ''): string[] {
  const differences: string[] = [];
  if (isObject(actual)) {
    for (const key of Object.keys(actual)) if (removed.includes(key)) differences.push(`${at}${at ? '.' : ''}${key} is a removed field`);
  }
  if (expected === null || actual === null) return differences;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [...differences, `${at || 'body'} should be an array`];
    const [first] = expected;
    for (const [index, element] of actual.entries()) {
      differences.push(...(first === undefined ? shapeDifferences(undefined, element, removed, `${at}[${index}]`) : shapeDifferences(first, element, removed, `${at}[${index}]`)));
    }
    return differences;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return [...differences, `${at || 'body'} should be an object`];
    for (const [key, value] of Object.entries(expected)) {
      const field = `${at}${at ? '.' : ''}${key}`;
      if (!(key in actual)) differences.push(`${field} is missing`);
      // Labels are the caller's own keys, not fields of the API.
      else if (key !== 'labels') differences.push(...shapeDifferences(value, actual[key], removed, field));
      else differences.push(...shapeDifferences({}, actual[key], removed, field));
    }
    return differences;
  }
  if (expected !== undefined && typeof expected !== typeof actual) differences.push(`${at || 'body'} should be a ${typeof expected}, is a ${typeof actual}`);
  return differences;
}
