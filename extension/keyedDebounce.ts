/**
 * One pending timer per key: `schedule` replaces the key's timer (the last call within `ms` wins), `cancel` drops
 * it, `dispose` drops them all. Shared by the debounced re-analysis and the debounced probe on save.
 */
export class KeyedDebounce {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  schedule(key: string, ms: number, run: () => void): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run();
      }, ms),
    );
  }

  cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
