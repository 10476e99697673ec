/**
 * Imported first by main.ts, before tfjs. tfjs-core loads `long`, which at load time tries to compile a tiny
 * WebAssembly module (a fast 64-bit multiply) and falls back to plain JS when that throws. The dashboard's CSP
 * rightly allows no WebAssembly compilation (no 'wasm-unsafe-eval'), so the attempt is blocked and reported as a
 * CSP violation on every load. Hiding WebAssembly while the modules load makes `long` take its fallback without
 * trying; nothing in the dashboard uses WebAssembly, and main.ts puts it back once everything has loaded.
 */
const hidden = globalThis.WebAssembly;
(globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly = undefined;

/** Undo the hiding (call once every module has been evaluated). */
export function restoreWebAssembly(): void {
  globalThis.WebAssembly = hidden;
}
