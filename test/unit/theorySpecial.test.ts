import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erf, erfc, erfcx, expErfc, normalCdf, normalIntervalProbability, normalPdf, normalSf } from '../../core/theory/special';
import { gaussHermite, gaussLegendre, normalExpectation } from '../../core/theory/quadrature';
import { TRUNCATED_NORMAL_STD, truncatedNormalVariance, erfc as initializersErfc } from '../../core/initializers';

/** |actual - expected| <= rel * |expected| (or <= rel when expected is 0), or <= abs. */
function close(actual: number, expected: number, rel: number, what = '', abs = 0): void {
  const tol = Math.max(rel * Math.abs(expected), expected === 0 ? rel : 0, abs);
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (rel tol ${rel})`);
}

// Reference values: mpmath at 40 digits at the double nearest each argument, rounded to double.
const ERFC: [number, number][] = [
  [-5, 1.9999999999984626], [-1, 1.8427007929497148], [-0.3, 1.3286267594591274], [0, 1], [1e-8, 0.9999999887162083],
  [0.3, 0.6713732405408726], [0.46875, 0.507386526782062], [0.5, 0.4795001221869535], [1, 0.15729920705028513],
  [2, 0.004677734981047266], [3.9, 3.4792248597231765e-8], [4, 1.541725790028002e-8], [4.1, 6.700027654084918e-9],
  [10, 2.088487583762545e-45], [26, 5.663192408856143e-296],
];
const ERF: [number, number][] = [
  [-2, -0.9953222650189527], [1e-10, 1.1283791670955126e-10], [0.1, 0.1124629160182849], [0.46875, 0.49261347321793797],
  [0.7, 0.6778011938374184], [1.5, 0.9661051464753108], [3, 0.9999779095030014], [5.9, 0.9999999999999999],
];
const ERFCX: [number, number][] = [
  [-5, 144009798674.66104], [-1, 5.008980080762283], [0.1, 0.8964569799691267], [1, 0.427583576155807],
  [5, 0.11070463773306863], [30, 0.01879588886141675], [100, 0.005641613782989433], [1e5, 5.6418958351954685e-6],
];

test('erfc matches 40-digit values to a few ulp on all of Cody\'s ranges', () => {
  for (const [x, v] of ERFC) close(erfc(x), v, 2e-15, `erfc(${x})`);
  assert.equal(erfc(27), 0);
  assert.equal(erfc(-27), 2);
  assert.ok(Number.isNaN(erfc(NaN)));
});

test('erf and erfcx match 40-digit values', () => {
  for (const [x, v] of ERF) close(erf(x), v, 2e-15, `erf(${x})`);
  for (const [x, v] of ERFCX) close(erfcx(x), v, 2e-15, `erfcx(${x})`);
  assert.equal(erfcx(-30), Infinity);
  for (let x = -3; x <= 3; x += 0.37) close(erf(x) + erfc(x), 1, 1e-15, `erf+erfc at ${x}`);
});

test('expErfc stays finite where exp(a) and erfc(b) overflow / underflow', () => {
  // exp(m + t/2) erfc((m + t)/sqrt(2t)) at m = 0, t = 2000: exp(1000) overflows, erfc(31.6) underflows.
  const t = 2000;
  const b = t / Math.sqrt(2 * t);
  const v = expErfc(t / 2, b);
  close(v, erfcx(b), 1e-14, 'a - b^2 = 0');
  close(expErfc(1, 1), Math.E * erfc(1), 1e-15);
  close(expErfc(-3, -0.5), Math.exp(-3) * erfc(-0.5), 1e-15);
});

test('normal pdf / cdf / tails, and the initializers now use them', () => {
  close(normalCdf(-37), 5.725571222524577e-300, 1e-13, 'deep lower tail');
  close(normalCdf(-10), 7.619853024160525e-24, 1e-14);
  close(normalCdf(-1), 0.15865525393145705, 1e-15);
  close(normalCdf(1.5), 0.9331927987311419, 1e-15);
  close(normalSf(10), 7.619853024160525e-24, 1e-14);
  close(normalPdf(0), 1 / Math.sqrt(2 * Math.PI), 1e-16);
  close(normalIntervalProbability(0, 4, -2, 2), 1 - 2 * normalSf(1), 1e-15);
  close(normalIntervalProbability(0, 1, 8, Infinity), normalSf(8), 1e-15);
  assert.equal(normalIntervalProbability(3, 0, -1, 1), 0);
  // Keras' 0.87962566103423978 is the std of N(0, 1) truncated to [-2, 2]: now reproduced to 1e-15.
  close(Math.sqrt(truncatedNormalVariance(0, 1, -2, 2)), TRUNCATED_NORMAL_STD, 1e-15);
  assert.equal(initializersErfc, erfc);
});

test('Gauss-Hermite rule integrates normal moments exactly up to degree 2n-1', () => {
  const { nodes, weights } = gaussHermite(64);
  assert.equal(nodes.length, 64);
  let doubleFactorial = 1;
  for (let k = 0; k <= 40; k += 2) {
    if (k > 0) doubleFactorial *= k - 1;
    let s = 0;
    for (let i = 0; i < 64; i++) s += weights[i] * nodes[i] ** k;
    close(s, doubleFactorial, 1e-13, `E[z^${k}]`);
  }
  for (let i = 1; i < 64; i++) assert.ok(nodes[i] > nodes[i - 1], 'ascending');
  for (let i = 0; i < 32; i++) close(nodes[i], -nodes[63 - i], 1e-15, 'symmetric');
  for (const n of [1, 2, 5, 16, 33, 100, 150]) {
    const r = gaussHermite(n);
    close(r.weights.reduce((a, b) => a + b, 0), 1, 1e-13, `sum of weights n=${n}`);
    let m2 = 0;
    for (let i = 0; i < n; i++) m2 += r.weights[i] * r.nodes[i] ** 2;
    if (n >= 2) close(m2, 1, 1e-12, `E[z^2] n=${n}`);
  }
});

test('Gauss-Legendre rule: weights sum to 2, polynomials exact', () => {
  for (const n of [1, 4, 16, 31]) {
    const { nodes, weights } = gaussLegendre(n);
    close(weights.reduce((a, b) => a + b, 0), 2, 1e-14, `n=${n}`);
    let s = 0;
    for (let i = 0; i < n; i++) s += weights[i] * nodes[i] ** (2 * n - 2);
    close(s, 2 / (2 * n - 1), 1e-13, `x^${2 * n - 2}`);
  }
});

test('normalExpectation: 1e-14 against closed forms for kinked and large-variance integrands', () => {
  for (const m of [-1.3, 0, 0.3, 2]) {
    for (const q of [1e-6, 0.01, 0.3, 1, 4, 100, 5000]) {
      const s = Math.sqrt(q);
      const a = m / s;
      // E[relu(h)^2] = (m^2 + q) Phi(m/s) + m s phi(m/s);  E[relu(h)] = m Phi + s phi.
      const second = (m * m + q) * normalCdf(a) + m * s * normalPdf(a);
      const first = m * normalCdf(a) + s * normalPdf(a);
      // Masses beyond the integrator's 10-sigma range (< 1e-30 here) are checked in absolute terms.
      close(normalExpectation((h) => Math.max(h, 0) ** 2, m, q, { breaks: [0] }), second, 1e-13, `relu^2 m=${m} q=${q}`, 1e-30);
      close(normalExpectation((h) => Math.max(h, 0), m, q, { breaks: [0] }), first, 1e-13, `relu m=${m} q=${q}`, 1e-30);
      // E[exp(h)] = exp(m + q/2) on a moderate range.
      if (q <= 4) close(normalExpectation(Math.exp, m, q, { smooth: true }), Math.exp(m + q / 2), 1e-13, `exp m=${m} q=${q}`);
    }
  }
  // Zero variance is a point mass.
  assert.equal(normalExpectation((h) => h * h, 0.5, 0), 0.25);
});
