#!/usr/bin/python3
"""Golden vectors for the probe engine, computed by PyTorch (Debian's python3-torch).

Usage (from the repository root):  /usr/bin/python3 scripts/golden/generate.py [OUT_DIR]
Writes JSON files to test/fixtures/golden/ (or OUT_DIR). Deterministic: fixed seeds, small sizes.

Conventions
- Inputs are drawn in float32 and stored exactly (every stored input is a float32 value); PyTorch then computes
  in float64, so the stored outputs are the exact semantics and the float32 CPU path of the probe is compared to
  them with a stated tolerance (1e-5, relative to max(1, |value|)).
- Tensors are stored in PyTorch's own layout (NCHW / NCL, Linear weight [out, in]); the tests transpose.
- Gradients are of the scalar loss sum(y * G) for a stored random G (so dL/dy = G).
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden')
GEN = torch.Generator().manual_seed(20240917)


def f32(*shape, scale=1.0, shift=0.0):
    """A float32 random normal tensor, returned as float64 holding float32-exact values."""
    return (torch.randn(*shape, generator=GEN, dtype=torch.float32) * scale + shift).to(torch.float32).double()


def L(t):
    return t.detach().double().tolist()


def write(name, payload):
    payload = {'generator': f'scripts/golden/generate.py, torch {torch.__version__}, float64 compute', **payload}
    with open(os.path.join(OUT, name), 'w') as fh:
        json.dump(payload, fh, indent=1)
        fh.write('\n')
    print('wrote', name)


def grads_of(y, leaves):
    g = f32(*y.shape)
    for t in leaves:
        if t.grad is not None:
            t.grad = None
    (y * g).sum().backward()
    return g, [t.grad for t in leaves]


def selu():
    x = torch.cat([torch.tensor([-20.0, -5.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 5.0, 20.0], dtype=torch.float64), f32(31, scale=2.0)])
    x.requires_grad_(True)
    y = torch.selu(x)
    g, (dx,) = grads_of(y, [x])
    write('selu.json', {'x': L(x), 'y': L(y), 'G': L(g), 'dx': L(dx),
                        'alpha': 1.6732632423543772848170429916717, 'lambda': 1.0507009873554804934193349852946})


def alpha_dropout():
    n = 200000
    cases = []
    for p in (0.05, 0.1, 0.2):
        torch.manual_seed(7)
        y0 = F.alpha_dropout(torch.zeros(n, dtype=torch.float64), p, training=True)
        torch.manual_seed(7)
        y1 = F.alpha_dropout(torch.ones(n, dtype=torch.float64), p, training=True)
        kept = y1 != y0
        a = (y1 - y0)[kept][0].item()
        b = y0[kept][0].item()
        dropped_value = y0[~kept][0].item()
        torch.manual_seed(11)
        x = torch.randn(n, dtype=torch.float64)
        y = F.alpha_dropout(x, p, training=True)
        cases.append({'rate': p, 'a': a, 'b': b, 'droppedValue': dropped_value, 'n': n,
                      'keepFraction': kept.double().mean().item(),
                      'outputMean': y.mean().item(), 'outputVariance': y.var(unbiased=False).item()})
    write('alphaDropout.json', {'note': 'a, b and the dropped output recovered exactly from inputs 0 and 1 under one seed; '
                                        'moments of alpha_dropout(N(0,1)) over n samples', 'cases': cases})


def batch_norm_case(name, c, shapes, momentum=None, eps=None):
    kw = {}
    if momentum is not None:
        kw['momentum'] = momentum
    if eps is not None:
        kw['eps'] = eps
    bn = (nn.BatchNorm1d(c, **kw) if len(shapes[0]) == 2 else nn.BatchNorm2d(c, **kw)).double()
    with torch.no_grad():
        bn.weight.copy_(f32(c, scale=0.5, shift=1.0))
        bn.bias.copy_(f32(c, scale=0.5))
    weight0, bias0 = L(bn.weight), L(bn.bias)
    bn.train()
    steps = []
    for i, shape in enumerate(shapes[:-1]):
        x = f32(*shape, scale=1.0 + i, shift=0.5 * i).requires_grad_(True)
        y = bn(x)
        g, (dx, dw, db) = grads_of(y, [x, bn.weight, bn.bias])
        steps.append({'x': L(x), 'y': L(y), 'G': L(g), 'dx': L(dx), 'dweight': L(dw), 'dbias': L(db),
                      'runningMean': L(bn.running_mean), 'runningVar': L(bn.running_var)})
    bn.eval()
    xe = f32(*shapes[-1], scale=2.0, shift=1.0)
    ye = bn(xe)
    return {'name': name, 'channels': c, 'momentum': bn.momentum, 'eps': bn.eps, 'weight': weight0, 'bias': bias0,
            'train': steps, 'eval': {'x': L(xe), 'y': L(ye)}}


def batch_norm():
    cases = [
        batch_norm_case('bn1d', 5, [(8, 5), (8, 5), (8, 5), (4, 5)]),
        batch_norm_case('bn2d', 3, [(4, 3, 5, 5), (4, 3, 5, 5), (2, 3, 5, 5)]),
        batch_norm_case('bn1d_momentum0.3_eps1e-3', 4, [(6, 4), (6, 4), (3, 4)], momentum=0.3, eps=1e-3),
    ]
    write('batchNorm.json', {'note': 'PyTorch BatchNorm: running = (1-m) running + m batch, running_var unbiased; '
                                     'train steps in order, then eval on running statistics', 'cases': cases})


def affine_case(module, x, c=None):
    module = module.double()
    if getattr(module, 'weight', None) is not None and c is not None:
        with torch.no_grad():
            module.weight.copy_(f32(*module.weight.shape, scale=0.5, shift=1.0))
            module.bias.copy_(f32(*module.bias.shape, scale=0.5))
    x = x.requires_grad_(True)
    y = module(x)
    leaves = [x] + ([module.weight, module.bias] if getattr(module, 'weight', None) is not None else [])
    g, grads = grads_of(y, leaves)
    out = {'x': L(x), 'y': L(y), 'G': L(g), 'dx': L(grads[0])}
    if len(leaves) > 1:
        out.update({'weight': L(module.weight), 'bias': L(module.bias), 'dweight': L(grads[1]), 'dbias': L(grads[2])})
    return out


def layer_norm():
    write('layerNorm.json', {'cases': [
        {'name': 'ln_features', 'eps': 1e-5, 'normalizedShape': [10], **affine_case(nn.LayerNorm(10), f32(6, 10, scale=2.0, shift=1.0), c=10)},
        {'name': 'ln_chw_default_affine', 'eps': 1e-5, 'normalizedShape': [3, 4, 4], **affine_case(nn.LayerNorm([3, 4, 4]), f32(2, 3, 4, 4, scale=3.0, shift=-1.0))},
    ]})


def group_norm():
    write('groupNorm.json', {'cases': [
        {'name': 'gn_2groups_nchw', 'groups': 2, 'eps': 1e-5, **affine_case(nn.GroupNorm(2, 6), f32(3, 6, 4, 4, scale=2.0, shift=0.5), c=6)},
        {'name': 'gn_3groups_nc', 'groups': 3, 'eps': 1e-5, **affine_case(nn.GroupNorm(3, 6), f32(4, 6, scale=1.5, shift=-0.5), c=6)},
    ]})


def instance_norm():
    write('instanceNorm.json', {'cases': [
        {'name': 'in2d_affine', 'eps': 1e-5, **affine_case(nn.InstanceNorm2d(3, affine=True), f32(2, 3, 5, 5, scale=2.0, shift=1.0), c=3)},
        {'name': 'in1d_ncl_no_affine', 'eps': 1e-5, **affine_case(nn.InstanceNorm1d(4), f32(2, 4, 7, scale=0.5, shift=3.0))},
    ]})


def weight_norm():
    torch.manual_seed(3)
    fresh = nn.utils.weight_norm(nn.Linear(6, 4).double())
    init = {'weight': L(fresh.weight_v), 'g': L(fresh.weight_g.flatten())}
    lin = nn.utils.weight_norm(nn.Linear(6, 4).double())
    with torch.no_grad():
        lin.weight_v.copy_(f32(4, 6, scale=0.7))
        lin.weight_g.copy_(f32(4, 1, scale=0.3, shift=1.0))
        lin.bias.copy_(f32(4, scale=0.2))
    x = f32(5, 6).requires_grad_(True)
    y = lin(x)
    g, (dx, dv, dg, db) = grads_of(y, [x, lin.weight_v, lin.weight_g, lin.bias])
    write('weightNorm.json', {
        'note': 'torch.nn.utils.weight_norm(Linear(6, 4)), dim=0: W = g V / ||V|| per output row; V is [out, in]',
        'init': init,
        'forward': {'V': L(lin.weight_v), 'g': L(lin.weight_g.flatten()), 'bias': L(lin.bias), 'x': L(x), 'y': L(y),
                    'G': L(g), 'dx': L(dx), 'dV': L(dv), 'dg': L(dg.flatten()), 'dbias': L(db)},
    })


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    selu()
    alpha_dropout()
    batch_norm()
    layer_norm()
    group_norm()
    instance_norm()
    weight_norm()
