import type { RunStorage } from '../../extension/runStore';

/** workspaceState as VS Code keeps it: values go through JSON. Counts writes. */
export class MemoryStorage implements RunStorage {
  readonly data = new Map<string, string>();
  writes = 0;
  get<T>(key: string): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.data.set(key, JSON.stringify(value));
    return Promise.resolve();
  }
}
