// Hetzner's label selector language: `k==v`, `k=v`, `k!=v`, `k`, `!k`, `k in (a,b)`,
// `k notin (a,b)`, comma meaning AND; parsed once, then matched against a label set.
import { isValidLabelKey, isValidLabelValue } from './labels';

export type LabelRequirement =
  | { key: string; operator: 'equals' | 'notEquals'; value: string }
  | { key: string; operator: 'in' | 'notIn'; values: string[] }
  | { key: string; operator: 'exists' | 'notExists' };

export type LabelSelector = LabelRequirement[];

export class InvalidLabelSelector extends Error {
  constructor(readonly selector: string, problem: string) {
    super(`invalid label_selector '${selector}': ${problem}`);
    this.name = 'InvalidLabelSelector';
  }
}

/** Splits on commas that are not inside a `( … )` value set. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0) throw new InvalidLabelSelector(selector, 'unbalanced parentheses');
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (depth !== 0) throw new InvalidLabelSelector(selector, 'unbalanced parentheses');
  parts.push(current);
  return parts.map((part) => part.trim());
}

function checkKey(selector: string, key: string): string {
  if (!isValidLabelKey(key)) throw new InvalidLabelSelector(selector, `'${key}' is not a valid label key`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!isValidLabelValue(value)) throw new InvalidLabelSelector(selector, `'${value}' is not a valid label value`);
  return value;
}

function parseRequirement(selector: string, expression: string): LabelRequirement {
  if (expression === '') throw new InvalidLabelSelector(selector, 'empty expression');

  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(expression);
  if (set) {
    const [, key = '', operator, list = ''] = set;
    const values = list.split(',').map((v) => checkValue(selector, v.trim()));
    if (values.length === 0 || (values.length === 1 && values[0] === '')) throw new InvalidLabelSelector(selector, `'${expression}' needs at least one value`);
    return { key: checkKey(selector, key), operator: operator === 'in' ? 'in' : 'notIn', values };
  }

  const comparison = /^([^=!\s]+)\s*(==|!=|=)\s*(.*)$/.exec(expression);
  if (comparison) {
    const [, key = '', operator, value = ''] = comparison;
    return { key: checkKey(selector, key), operator: operator === '!=' ? 'notEquals' : 'equals', value: checkValue(selector, value.trim()) };
  }

  if (expression.startsWith('!')) return { key: checkKey(selector, expression.slice(1).trim()), operator: 'notExists' };
  return { key: checkKey(selector, expression), operator: 'exists' };
}

export function parseLabelSelector(selector: string): LabelSelector {
  if (selector.trim() === '') return [];
  return splitTopLevel(selector).map((expression) => parseRequirement(selector, expression));
}

/** `!=` and `notin` also match resources without the key, as in the Kubernetes selectors Hetzner's syntax follows. */
function satisfies(labels: Readonly<Record<string, string>>, requirement: LabelRequirement): boolean {
  const present = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case 'equals':
      return present && value === requirement.value;
    case 'notEquals':
      return !present || value !== requirement.value;
    case 'in':
      return present && value !== undefined && requirement.values.includes(value);
    case 'notIn':
      return !present || value === undefined || !requirement.values.includes(value);
    case 'exists':
      return present;
    case 'notExists':
      return !present;
  }
}

export function matchesLabelSelector(labels: Readonly<Record<string, string>>, selector: LabelSelector): boolean {
  return selector.every((requirement) => satisfies(labels, requirement));
}
