/**
 * Bounded memo for pure theory functions of a few numbers. A 200-layer model asks the same question (the critical
 * variance of one activation at one bias variance, the SELU fixed point for one tau) for every layer; each answer
 * costs thousands of quadrature evaluations, so computing it once keeps analysis well under the 100 ms goal.
 */
export function memoize<A extends unknown[], R>(fn: (...args: A) => R, key: (...args: A) => string, capacity = 512): (...args: A) => R {
  const cache = new Map<string, R>();
  return (...args: A): R => {
    const k = key(...args);
    if (cache.has(k)) return cache.get(k) as R;
    const value = fn(...args);
    if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
    cache.set(k, value);
    return value;
  };
}
