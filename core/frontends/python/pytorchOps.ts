import { bindSignature, numberArg, tupleArg } from './argBinding';
import { emit, tensorBinary } from './forward';
import type { Args, Interp } from './interpreter';
import { activationAt, activationByName, makeSpec } from './specs';
import { asNumber, iterate, list, unknown } from './values';
import type { LayerKind } from '../../ir';
import type { LayerSpec, TensorValue, Value } from './values';

/** Functional activations and their parameter name / default. */
const FUNCTIONAL_PARAM: Record<string, [string, number]> = { elu: ['alpha', 1], leaky_relu: ['negative_slope', 0.01], celu: ['alpha', 1] };

function apply(ip: Interp, x: TensorValue, kind: LayerKind, path: string, sourceType: string, args: Args, fill?: (s: LayerSpec) => void): Value {
  const spec = makeSpec(kind, 'pytorch', path, sourceType, args.node);
  fill?.(spec);
  return emit(ip, x.graph, spec, x.at, null);
}

/** Functional ops in forward(): `F.relu(x)`, `torch.tanh(x)`, `F.dropout(x, p)`, `torch.flatten(x, 1)`, pools, cat. */
export function callTorchOp(ip: Interp, path: string, args: Args, calleeText: string): Value | undefined {
  const name = path.split('.').pop() as string;
  const x = args.pos[0] ?? args.kw.get('input');
  if (/^torch\.(randn|rand|zeros|ones|empty|full)$/.test(path)) return dummyTensor(args);
  if (!x || x.t !== 'tensor') return undefined;
  const act = activationByName(name);
  if (act && name !== 'linear') {
    return apply(ip, x, 'activation', path, calleeText, args, (s) => {
      const p = FUNCTIONAL_PARAM[name];
      const param = p ? numberArg(s, bindSignature(args, ['input', p[0]]), p[0], p[1]) : null;
      s.activation = activationAt(act.name, args.node, param ?? act.param);
    });
  }
  if (/^(dropout|dropout1d|dropout2d|alpha_dropout|feature_alpha_dropout)$/.test(name)) {
    return apply(ip, x, name.includes('alpha') ? 'alphadropout' : 'dropout', path, calleeText, args, (s) => {
      s.rate = numberArg(s, bindSignature(args, ['input', 'p']), 'p', 0.5);
    });
  }
  if (name === 'flatten') return apply(ip, x, 'flatten', path, calleeText, args, (s) => (s.flattens = true));
  const pool = /^(max|avg|adaptive_avg|adaptive_max)_pool([12])d$/.exec(name);
  if (pool) return apply(ip, x, 'pool', path, calleeText, args, (s) => functionalPool(s, args, pool[1], Number(pool[2]) as 1 | 2));
  if (name === 'add') return tensorBinary(ip, '+', x, args.pos[1] ?? unknown(null), args.node);
  if (/^(cat|concat|stack)$/.test(name)) {
    const tensors = (iterate(x) ?? []).filter((t): t is TensorValue => t.t === 'tensor');
    const last = tensors.sort((a, b) => b.at - a.at)[0];
    if (!last) return unknown(null);
    return apply(ip, last, 'other', path, calleeText, args, (s) =>
      s.issues.push({ symbol: null, reason: `${calleeText} joins tensors; widths after it are not tracked`, node: args.node, spec: s }),
    );
  }
  if (name === 'mean' || name === 'amax') return meanOver(ip, x, args, path, calleeText);
  // Shape-preserving or unmodelled tensor ops keep the producer.
  return x;
}

function functionalPool(s: LayerSpec, args: Args, op: string, dims: 1 | 2): void {
  if (op.startsWith('adaptive')) {
    const out = tupleArg(s, bindSignature(args, ['input', 'output_size']), 'output_size', dims, null);
    s.pool = { op: op === 'adaptive_avg' ? 'adaptive_avg' : 'adaptive_max', kernel: [], stride: [], padding: 'valid', dims };
    if (out) s.pool.outputSize = out;
    return;
  }
  const b = bindSignature(args, ['input', 'kernel_size', 'stride', 'padding']);
  const kernel = tupleArg(s, b, 'kernel_size', dims, null);
  const stride = tupleArg(s, b, 'stride', dims, kernel);
  const padding = tupleArg(s, b, 'padding', dims, Array(dims).fill(0));
  if (kernel && stride && padding) s.pool = { op: op === 'max' ? 'max' : 'avg', kernel, stride, padding, dims };
}

/** `x.mean(dim=(2, 3))` / `x.mean([-2, -1])`: averaging the spatial axes is a global average pool. */
function meanOver(ip: Interp, x: TensorValue, args: Args, path: string, sourceType: string): Value {
  const dimV = args.kw.get('dim') ?? args.pos.find((p, i) => i > 0 || p.t !== 'tensor');
  const dims = dimV ? (iterate(dimV) ?? [dimV]).map(asNumber) : [];
  const spatial = dims.filter((d) => d !== null && (d >= 2 || d <= -1)).length;
  if (spatial < 2 && !(spatial === 1 && dims.length === 1 && (dims[0] === 2 || dims[0] === -1))) return x;
  return apply(ip, x, 'pool', path, sourceType, args, (s) => {
    s.pool = { op: 'global_avg', kernel: [], stride: [], padding: 'valid', dims: spatial >= 2 ? 2 : 1 };
  });
}

function dummyTensor(args: Args): Value {
  const first = args.pos[0];
  const dims = first && first.t === 'list' ? first.items : args.pos;
  return { t: 'obj', kind: 'dummy', attrs: new Map([['shape', list(dims, true)]]) };
}

/** Tensor methods in forward(): activations (`x.relu()`), reshapes (`x.view(x.size(0), -1)`), residual `add`. */
export function tensorMethod(ip: Interp, x: TensorValue, name: string, args: Args): Value {
  const sourceType = `Tensor.${name}`;
  const act = activationByName(name);
  if (act && /^(relu|relu_|sigmoid|sigmoid_|tanh|tanh_|softmax|log_softmax)$/.test(name)) {
    return apply(ip, x, 'activation', `torch.Tensor.${name}`, sourceType, args, (s) => (s.activation = activationAt(act.name, args.node)));
  }
  if (name === 'flatten' || ((name === 'view' || name === 'reshape') && args.pos.length === 2)) {
    return apply(ip, x, 'flatten', `torch.Tensor.${name}`, sourceType, args, (s) => (s.flattens = true));
  }
  if (name === 'add' || name === 'add_') return tensorBinary(ip, '+', x, args.pos[0] ?? unknown(null), args.node);
  if (name === 'mean') return meanOver(ip, x, { ...args, pos: [x, ...args.pos] }, `torch.Tensor.${name}`, sourceType);
  if (name === 'size' || name === 'dim' || name === 'numel') return unknown(null);
  return x;
}
