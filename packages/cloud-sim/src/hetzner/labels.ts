// Hetzner's label rules (keys: optional DNS-subdomain prefix and a name of at most 63
// characters; values: empty or at most 63), checked on create and inside label selectors.

const namePattern = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
const dnsLabelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (!namePattern.test(name)) return false;
  if (slash === -1) return true;
  const prefix = key.slice(0, slash);
  if (prefix.length > 253 || prefix.startsWith('hetzner.cloud')) return false;
  return prefix.split('.').every((label) => dnsLabelPattern.test(label));
}

export function isValidLabelValue(value: string): boolean {
  return value === '' || namePattern.test(value);
}

/** Problems with an untrusted `labels` object, one message per bad entry; empty when valid. */
export function labelProblems(labels: unknown): string[] {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return ['must be an object of string values'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!isValidLabelKey(key)) problems.push(`invalid label key '${key}'`);
    if (typeof value !== 'string' || !isValidLabelValue(value)) problems.push(`invalid value for label '${key}'`);
  }
  return problems;
}
