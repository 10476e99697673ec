import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVATION_NAMES } from '../../core/ir';
import { SATURATION_RATIO, activationModel } from '../../core/theory/activations';
import {
  activationStatistics,
  asymptoticCriticalSigmaW2,
  chi1,
  criticalSigmaW2,
  meanFieldFixedPoint,
  qMapSlope,
} from '../../core/theory/meanField';
import { inactiveProbability, saturationProbability, saturationSet } from '../../core/theory/saturation';
import { normalExpectations } from '../../core/theory/quadrature';
import { normalCdf, normalPdf } from '../../core/theory/special';
import { SELU_ALPHA, SELU_LAMBDA } from '../../core/theory/selu';

function close(actual: number, expected: number, tol: number, what = ''): void {
  if (actual === expected) return;
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tol ${tol})`);
}

const tanh = activationModel('tanh');

test('tanh critical sigma_w^2 by sigma_b^2 (Poole et al. / Schoenholz et al.)', () => {
  const table: [number, number][] = [[0, 1], [0.01, 1.424], [0.05, 1.761], [0.1, 1.986], [0.3, 2.505], [1.0, 3.443]];
  for (const [sb2, sw2] of table) {
    const cp = criticalSigmaW2(tanh, sb2);
    assert.ok(cp, `critical point at sb2 = ${sb2}`);
    close(cp.sigmaW2, sw2, 5e-4, `sb2 = ${sb2}`);
  }
  assert.equal(criticalSigmaW2(tanh, 0)?.sigmaW2, 1);
});

test('the critical points really have chi_1 = 1 at the q-map fixed point', () => {
  for (const [name, sb2] of [['tanh', 0.3], ['swish', 1], ['gelu', 1], ['mish', 0.1], ['elu', 0.01], ['sigmoid', 0], ['softsign', 0.1], ['selu', 0.1]] as const) {
    const act = activationModel(name);
    const cp = criticalSigmaW2(act, sb2);
    assert.ok(cp && cp.qStar !== null, name);
    const fp = meanFieldFixedPoint(act, cp.sigmaW2, sb2, { q0: cp.qStar });
    assert.equal(fp.converged, true, `${name} fixed point`);
    close(fp.q, cp.qStar, 1e-9 * cp.qStar, `${name} q*`);
    close(chi1(act, cp.sigmaW2, fp.q), 1, 1e-10, `${name} chi_1`);
    assert.ok(qMapSlope(act, cp.sigmaW2, cp.qStar) < 1, `${name} q* attracts`);
  }
});

test('edge-of-chaos points whose q* repels are not reported (gelu / swish at small sigma_b^2)', () => {
  for (const name of ['gelu', 'swish'] as const) {
    const act = activationModel(name);
    assert.equal(criticalSigmaW2(act, 0.05), null, name);
    // The critical line does pass sigma_b^2 = 0.05 (at q ~ 0.7-0.9), but the q-map is expanding there.
    const q = 0.8;
    const s = activationStatistics(act, 0, q);
    assert.ok(qMapSlope(act, 1 / s.derivSecondMoment, q) > 1, `${name} slope`);
    assert.equal(asymptoticCriticalSigmaW2(act), 2);
  }
  // At sigma_b^2 = 0 tanh's q* = 0 attracts (tanh^2 < h^2), GELU's does not (gelu^2 > h^2 / 4 near 0).
  assert.equal(criticalSigmaW2(activationModel('gelu'), 0), null);
  assert.equal(criticalSigmaW2(activationModel('softsign'), 0)!.sigmaW2, 1);
  assert.equal(asymptoticCriticalSigmaW2(activationModel('softsign')), Infinity);
});

test('ReLU family: critical (2, 0) for relu, 2 / (1 + slope^2) for leaky / prelu, 1 for linear', () => {
  const relu = activationModel('relu');
  assert.deepEqual(criticalSigmaW2(relu, 0), { sigmaW2: 2, sigmaB2: 0, qStar: 0 });
  for (const q of [0.01, 1, 100]) close(chi1(relu, 2, q), 1, 1e-14);
  close(criticalSigmaW2(activationModel({ name: 'leaky_relu', param: 0.2 }), 0)!.sigmaW2, 2 / 1.04, 1e-14);
  close(criticalSigmaW2(activationModel('prelu', 'pytorch'), 0)!.sigmaW2, 2 / 1.0625, 1e-14);
  assert.equal(criticalSigmaW2(activationModel('linear'), 0.5)!.sigmaW2, 1);
  assert.equal(criticalSigmaW2(activationModel('softmax'), 0), null);
  // softplus never reaches chi_1 = 1 at a finite q* with sb2 >= 0; it approaches ReLU's 2 as q* grows.
  assert.equal(criticalSigmaW2(activationModel('softplus'), 0), null);
  assert.equal(asymptoticCriticalSigmaW2(activationModel('softplus')), 2);
  assert.equal(asymptoticCriticalSigmaW2(tanh), Infinity);
});

test('activation statistics against closed forms (relu, leaky, elu, selu)', () => {
  for (const [m, q] of [[0, 1], [0.4, 2.5], [-1, 0.3], [0, 400]]) {
    const s = Math.sqrt(q);
    const P = normalCdf(m / s);
    const d = normalPdf(m / s);
    const ePos = m * P + s * d;
    const e2Pos = (m * m + q) * P + m * s * d;
    const eExp = (k: number) => Math.exp(k * m + (k * k * q) / 2) * normalCdf(-(m + k * q) / s);
    const relu = activationStatistics(activationModel('relu'), m, q);
    close(relu.mean, ePos, 1e-13 * Math.max(1, ePos));
    close(relu.secondMoment, e2Pos, 1e-13 * Math.max(1, e2Pos));
    close(relu.derivSecondMoment, P, 1e-14);
    close(relu.inactive!, 1 - P, 1e-14);
    const leaky = activationStatistics(activationModel({ name: 'leaky_relu', param: 0.1 }), m, q);
    close(leaky.mean, ePos + 0.1 * (m - ePos), 1e-13 * Math.max(1, ePos));
    if (q < 100) {
      const elu = activationStatistics(activationModel({ name: 'elu', param: 1.3 }), m, q);
      close(elu.mean, ePos + 1.3 * (eExp(1) - (1 - P)), 1e-13);
      close(elu.secondMoment, e2Pos + 1.69 * (eExp(2) - 2 * eExp(1) + 1 - P), 1e-13 * Math.max(1, e2Pos));
      close(elu.derivSecondMoment, P + 1.69 * eExp(2), 1e-13);
    }
  }
  // SELU at q = 1: E[selu'^2] = lambda^2 (1/2 + alpha^2 e^2 Phi(-2)), the mean-field chi_1 of lecun_normal.
  const selu = activationStatistics(activationModel('selu'), 0, 1);
  close(selu.derivSecondMoment, SELU_LAMBDA ** 2 * (0.5 + SELU_ALPHA ** 2 * Math.E ** 2 * normalCdf(-2)), 1e-13);
  close(selu.mean, 0, 1e-15);
  close(selu.secondMoment, 1, 1e-14);
});

test('Gauss-Hermite and the composite rule agree where both apply (smooth activations)', () => {
  for (const name of ['tanh', 'sigmoid', 'gelu', 'softplus', 'swish', 'mish'] as const) {
    const act = activationModel(name);
    for (const [m, q] of [[0, 0.25], [0.7, 0.1], [-1, 0.04]]) {
      const fill = (h: number, v: Float64Array) => {
        v[0] = act.phi(h) ** 2;
        v[1] = act.dphi(h) ** 2;
      };
      const gh = normalExpectations(2, fill, m, q, { smooth: true });
      const gl = normalExpectations(2, fill, m, q, { smooth: false });
      close(gh[0], gl[0], 1e-13, `${name} E[phi^2]`);
      close(gh[1], gl[1], 1e-13, `${name} E[phi'^2]`);
    }
  }
});

test('every activation name has a model; softmax / log_softmax pass statistics through', () => {
  for (const name of ACTIVATION_NAMES) {
    const s = activationStatistics(activationModel(name), 0.1, 2);
    assert.ok(Number.isFinite(s.mean) && s.variance >= 0 && s.saturation >= 0 && s.saturation <= 1, name);
  }
  const soft = activationStatistics(activationModel('softmax'), 0.3, 2);
  assert.deepEqual([soft.mean, soft.variance, soft.saturation], [0.3, 2, 0]);
});

test('saturation sets: |phi\'| < 0.0707 max|phi\'| (table in core/theory/README.md)', () => {
  close(SATURATION_RATIO, 0.0706508248531644, 1e-15);
  const only = (name: Parameters<typeof activationModel>[0], fw: 'pytorch' | 'keras' = 'pytorch') =>
    saturationSet(activationModel(name, fw)).intervals;
  const ln = Math.log(SATURATION_RATIO);
  const checks: [Parameters<typeof activationModel>[0], [number, number][], ('pytorch' | 'keras')?][] = [
    ['tanh', [[-Infinity, -2], [2, Infinity]]],
    ['sigmoid', [[-Infinity, -4], [4, Infinity]]],
    ['elu', [[-Infinity, ln]]],
    ['selu', [[-Infinity, ln]]],
    ['softplus', [[-Infinity, Math.log(SATURATION_RATIO / (1 - SATURATION_RATIO))]]],
    ['softsign', [[-Infinity, 1 - 1 / Math.sqrt(SATURATION_RATIO)], [1 / Math.sqrt(SATURATION_RATIO) - 1, Infinity]]],
    ['hard_sigmoid', [[-Infinity, -3], [3, Infinity]]],
    ['hard_sigmoid', [[-Infinity, -2.5], [2.5, Infinity]], 'keras'],
    ['relu6', [[6, Infinity]]],
    ['relu', []],
    ['leaky_relu', []],
    ['linear', []],
  ];
  for (const [act, want, fw] of checks) {
    const got = only(act, fw);
    assert.equal(got.length, want.length, `${JSON.stringify(act)} intervals`);
    got.forEach(([a, b], i) => {
      close(a, want[i][0], 1e-12, `${JSON.stringify(act)} lo`);
      close(b, want[i][1], 1e-12, `${JSON.stringify(act)} hi`);
    });
  }
  // gelu / swish / mish: the left tail and a band around the zero of phi' (where phi' changes sign).
  for (const name of ['gelu', 'swish', 'mish'] as const) {
    const act = activationModel(name);
    const { maxSlope, intervals } = saturationSet(act);
    assert.equal(intervals.length, 2, name);
    for (const edge of [intervals[0][1], intervals[1][0], intervals[1][1]]) {
      close(Math.abs(act.dphi(edge)), SATURATION_RATIO * maxSlope, 1e-12, `${name} edge`);
    }
  }
  close(saturationSet(activationModel('gelu')).maxSlope, normalCdf(Math.SQRT2) + Math.SQRT2 * normalPdf(Math.SQRT2), 1e-12);
});

test('tanh with N(0, 1) weights and unit-variance inputs is ~93% saturated at layer 1 (fan_in 512)', () => {
  const q = 512;
  const p = saturationProbability(tanh, 0, q);
  close(p, 2 * normalCdf(-2 / Math.sqrt(q)), 1e-15);
  close(p, 0.93, 0.005);
  assert.equal(inactiveProbability(tanh, 0, q), null);
  close(inactiveProbability(activationModel('relu'), 1, 1)!, normalCdf(-1), 1e-16);
});

test('q-map fixed point satisfies q* = sw2 E[phi^2] + sb2; diverges for relu above 2', () => {
  const fp = meanFieldFixedPoint(tanh, 1.5, 0.05);
  assert.equal(fp.converged, true);
  close(fp.q, 1.5 * activationStatistics(tanh, 0, fp.q).secondMoment + 0.05, 1e-12);
  assert.equal(meanFieldFixedPoint(activationModel('relu'), 2.5, 0).diverged, true);
  close(meanFieldFixedPoint(activationModel('relu'), 1.5, 0.1).q, 0.1 / (1 - 0.75), 1e-11);
});
