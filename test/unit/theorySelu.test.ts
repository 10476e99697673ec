import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SELU_ALPHA,
  SELU_ALPHA_PRIME,
  SELU_LAMBDA,
  THEOREM1_MAX_SINGULAR_VALUE,
  alphaDropoutAffine,
  getSELUparameters,
  selu,
  seluAlphaClosedForm,
  seluFixedPointIteration,
  seluGaussianMoments,
  seluJacobian,
  seluLambdaClosedForm,
  seluMap,
  seluVarianceFixedPoint,
  spectralNorm2,
  theorem1Check,
} from '../../core/theory/selu';
import { alphaDropoutMoments, dropoutMoments } from '../../core/theory/dropout';
import { normalExpectations } from '../../core/theory/quadrature';

function close(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tol ${tol})`);
}

function grid(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

test('SELU constants: literals, closed forms and alpha\'', () => {
  assert.equal(SELU_ALPHA, 1.6732632423543772848170429916717);
  assert.equal(SELU_LAMBDA, 1.0507009873554804934193349852946);
  close(seluAlphaClosedForm(), SELU_ALPHA, 1e-15 * SELU_ALPHA, 'alpha closed form');
  close(seluLambdaClosedForm(), SELU_LAMBDA, 1e-15 * SELU_LAMBDA, 'lambda closed form');
  assert.equal(SELU_ALPHA_PRIME, -1.7580993408473766);
  assert.equal(selu(1), SELU_LAMBDA);
  close(selu(-50), SELU_ALPHA_PRIME, 1e-15);
});

test('g(0, 0, 1, 1) = (0, 1): (0, 1) is the fixed point', () => {
  const g = seluMap(0, 0, 1, 1);
  close(g.mean, 0, 1e-15, 'mu~');
  close(g.variance, 1, 1e-15, 'nu~');
});

test('closed-form moments agree with quadrature from tiny to huge variance', () => {
  for (const m of [-3, -0.5, 0, 0.2, 2.5]) {
    for (const t of [1e-8, 1e-4, 0.01, 0.5, 1, 3, 50, 1e4]) {
      const g = seluGaussianMoments(m, t);
      const [e1, e2] = normalExpectations(2, (h, v) => {
        v[0] = selu(h);
        v[1] = selu(h) ** 2;
      }, m, t, { breaks: [0] });
      close(g.mean, e1, 1e-11 * Math.max(1, Math.abs(e1)), `mean m=${m} t=${t}`);
      close(g.secondMoment, e2, 1e-11 * Math.max(1e-300, e2) + 1e-300, `xi m=${m} t=${t}`);
    }
  }
  const huge = seluGaussianMoments(0, 1e6);
  assert.ok(Number.isFinite(huge.mean) && Number.isFinite(huge.variance), 'no overflow at t = 1e6');
});

test('Jacobian at (0, 1): [[0, 0.0888348], [0, 0.7826479]], spectral norm 0.7876733604657', () => {
  const j = seluJacobian(0, 0, 1, 1);
  assert.equal(j[0][0], 0);
  assert.equal(j[1][0], 0);
  close(j[0][1], 0.0888348, 5e-8, 'd mu~ / d nu');
  close(j[1][1], 0.7826479, 5e-8, 'd nu~ / d nu');
  close(spectralNorm2(j), 0.7876733604657, 1e-13, 'spectral norm');
});

test('analytic Jacobian matches central differences over the domain', () => {
  const h = 1e-5;
  for (const [mu, omega, nu, tau] of [[0.05, -0.1, 0.9, 1.05], [-0.1, 0.1, 1.4, 0.96], [0.3, 0.7, 2, 0.6]]) {
    const j = seluJacobian(mu, omega, nu, tau);
    const dMu = [seluMap(mu + h, omega, nu, tau), seluMap(mu - h, omega, nu, tau)];
    const dNu = [seluMap(mu, omega, nu + h, tau), seluMap(mu, omega, nu - h, tau)];
    close(j[0][0], (dMu[0].mean - dMu[1].mean) / (2 * h), 1e-8);
    close(j[1][0], (dMu[0].variance - dMu[1].variance) / (2 * h), 1e-8);
    close(j[0][1], (dNu[0].mean - dNu[1].mean) / (2 * h), 1e-8);
    close(j[1][1], (dNu[0].variance - dNu[1].variance) / (2 * h), 1e-8);
  }
});

test('Theorem 1: largest singular value over the domain is 0.8976083584089181, image inside the bounds', () => {
  let worst = 0;
  let muMin = Infinity;
  let muMax = -Infinity;
  let nuMin = Infinity;
  let nuMax = -Infinity;
  for (const mu of grid(-0.1, 0.1, 11)) {
    for (const omega of grid(-0.1, 0.1, 11)) {
      for (const nu of grid(0.8, 1.5, 15)) {
        for (const tau of grid(0.95, 1.1, 7)) {
          worst = Math.max(worst, spectralNorm2(seluJacobian(mu, omega, nu, tau)));
          const g = seluMap(mu, omega, nu, tau);
          muMin = Math.min(muMin, g.mean);
          muMax = Math.max(muMax, g.mean);
          nuMin = Math.min(nuMin, g.variance);
          nuMax = Math.max(nuMax, g.variance);
        }
      }
    }
  }
  assert.ok(worst <= THEOREM1_MAX_SINGULAR_VALUE + 1e-14, `max singular value ${worst}`);
  assert.ok(worst >= THEOREM1_MAX_SINGULAR_VALUE - 1e-3, `max singular value ${worst} not attained`);
  // Attained at the corner mu = omega = -0.1, nu = 0.8, tau = 1.1.
  close(spectralNorm2(seluJacobian(-0.1, -0.1, 0.8, 1.1)), THEOREM1_MAX_SINGULAR_VALUE, 1e-14, 'corner');
  close(muMin, -0.03106, 5e-6, 'mu~ min');
  close(muMax, 0.06773, 5e-6, 'mu~ max');
  close(nuMin, 0.80371, 5e-6, 'nu~ min');
  close(nuMax, 1.48157, 5e-6, 'nu~ max');
});

test('theorem1Check names each violated coordinate', () => {
  assert.deepEqual(theorem1Check(0, 0, 1, 1), { inDomain: true, violations: [] });
  const r = theorem1Check(0.2, 0, 1, 1 / 3);
  assert.equal(r.inDomain, false);
  assert.deepEqual(r.violations, ['mu=0.2 > 0.1', 'tau=0.333 < 0.95']);
  assert.deepEqual(theorem1Check(0, 0, 0.5, 1).violations, ['nu=0.5 < 0.8']);
});

test('variance fixed points per initializer (reference.md table, omega = 0, variance propagation)', () => {
  close(seluVarianceFixedPoint(1), 1, 1e-12, 'lecun_normal');
  close(seluVarianceFixedPoint(0.7737), 0.351, 5e-4, 'tfjs leCunNormal');
  close(seluVarianceFixedPoint(0.5625), 0.027, 5e-4, 'PyTorch selu gain');
  const collapse = seluFixedPointIteration(1 / 3);
  assert.equal(collapse.collapsed, true);
  assert.equal(seluVarianceFixedPoint(1 / 3), 0);
  // Mean-field over random weights (what a sampled network does, checked in theoryMonteCarlo): t = tau E[x^2].
  close(seluVarianceFixedPoint(0.7737, { convention: 'secondMoment' }), 0.3646, 1e-4);
  close(seluVarianceFixedPoint(0.5625, { convention: 'secondMoment' }), 0.0398, 1e-4);
  close(seluVarianceFixedPoint(1, { convention: 'secondMoment' }), 1, 1e-12);
});

test('getSELUparameters: (-0.1, 2) -> alpha 1.9769021954242014, lambda 1.073851239616046; (0, 1) -> SELU', () => {
  const p = getSELUparameters(-0.1, 2.0);
  assert.equal(p.converged, true);
  close(p.alpha, 1.9769021954242014, 1e-10, 'alpha');
  close(p.lambda, 1.073851239616046, 1e-10, 'lambda');
  const g = seluMap(-0.1, 1, 2, 1, p.alpha, p.lambda);
  close(g.mean, -0.1, 1e-13);
  close(g.variance, 2, 1e-13);
  const std = getSELUparameters(0, 1, { alpha: 1.5, lambda: 1 });
  close(std.alpha, SELU_ALPHA, 1e-13);
  close(std.lambda, SELU_LAMBDA, 1e-13);
});

test('alpha dropout: affine restores mean 0 / variance 1 at rates 0.05, 0.1, 0.2', () => {
  const expected: Record<number, [number, number]> = {
    0.05: [0.9548444760050309, 0.08393557219381026],
    0.1: [0.9212845161497115, 0.1619709700575702],
    0.2: [0.8789035834435329, 0.30903996214409446],
  };
  for (const rate of [0.05, 0.1, 0.2]) {
    const { a, b, keep, alphaPrime } = alphaDropoutAffine(rate);
    assert.equal(alphaPrime, SELU_ALPHA_PRIME);
    close(a, expected[rate][0], 1e-14, `a at ${rate}`);
    close(b, expected[rate][1], 1e-14, `b at ${rate}`);
    // Direct: x' = x (prob q) or alpha' -> E = (1-q) alpha', Var = q + q (1-q) alpha'^2.
    close(a * (1 - keep) * alphaPrime + b, 0, 1e-15, `mean at ${rate}`);
    close(a * a * (keep + keep * (1 - keep) * alphaPrime ** 2), 1, 1e-14, `variance at ${rate}`);
    const m = alphaDropoutMoments(rate, 0, 1);
    close(m.mean, 0, 1e-15);
    close(m.variance, 1, 1e-14);
    close(m.gradGain, a * a * keep, 1e-15);
  }
  const other = alphaDropoutAffine(0.1, -0.1, 2);
  const m = alphaDropoutMoments(0.1, -0.1, 2, -0.1, 2);
  assert.ok(other.a > 0);
  close(m.mean, -0.1, 1e-14);
  close(m.variance, 2, 1e-14);
  assert.deepEqual(alphaDropoutAffine(0), { keep: 1, alphaPrime: SELU_ALPHA_PRIME, a: 1, b: 0 });
  assert.throws(() => alphaDropoutAffine(1), RangeError);
});

test('inverted dropout keeps the mean and divides the second moment by q', () => {
  const d = dropoutMoments(0.2, 0.5, 1);
  close(d.mean, 0.5, 0);
  close(d.secondMoment, 1.25 / 0.8, 1e-15);
  close(d.variance, 1.25 / 0.8 - 0.25, 1e-15);
  close(d.gradGain, 1 / 0.8, 1e-15);
});

test('tfjs-layers 4.22 AlphaDropout defect (dropped units at +1.758) is what reference.md measured; ours is not it', () => {
  // reference.md: the sign error makes the output mean +0.169 / +0.327 / +0.621 at rate 0.05 / 0.1 / 0.2 (sampled).
  const measured: [number, number][] = [[0.05, 0.169], [0.1, 0.327], [0.2, 0.621]];
  for (const [rate, mean] of measured) {
    const { keep, alphaPrime, a, b } = alphaDropoutAffine(rate);
    const defective = a * (1 - keep) * -alphaPrime + b; // input mean 0, dropped units at +|alpha'|
    const correct = a * (1 - keep) * alphaPrime + b;
    assert.ok(Math.abs(defective - mean) < 0.005, `rate ${rate}: defective mean ${defective} vs reference ${mean}`);
    assert.ok(Math.abs(correct) < 1e-12, `rate ${rate}: our mean ${correct}`);
  }
});
