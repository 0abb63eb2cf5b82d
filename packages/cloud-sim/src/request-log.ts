// Counts every cloud API call by "METHOD /path/template" and answer status, so tests and
// benchmarks can assert how many calls (and how many 429s) a piece of work cost.

export interface RequestCount {
  total: number;
  /** Keyed by HTTP status; "aborted" when the client gave up before any answer (e.g. a hang fault). */
  byStatus: Record<string, number>;
}

export class RequestLog {
  private counts = new Map<string, RequestCount>();

  record(key: string, status: number | 'aborted'): void {
    const count = this.counts.get(key) ?? { total: 0, byStatus: {} };
    count.total += 1;
    const statusKey = String(status);
    count.byStatus[statusKey] = (count.byStatus[statusKey] ?? 0) + 1;
    this.counts.set(key, count);
  }

  snapshot(): Record<string, RequestCount> {
    const result: Record<string, RequestCount> = {};
    for (const [key, count] of [...this.counts].sort(([a], [b]) => a.localeCompare(b))) {
      result[key] = { total: count.total, byStatus: { ...count.byStatus } };
    }
    return result;
  }

  reset(): void {
    this.counts = new Map();
  }
}
