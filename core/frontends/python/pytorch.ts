import type { Args, Interp } from './interpreter';
import { callTorchOp } from './pytorchOps';
import { callInit } from './pytorchInit';
import { buildTorchLayer } from './pytorchLayers';
import { iterate, unknown } from './values';
import type { ContainerValue, Value } from './values';

/** nn.Sequential / nn.ModuleList / nn.ModuleDict. A Sequential built outside model code is a model candidate. */
function container(ip: Interp, kind: 'seq' | 'list' | 'dict', args: Args, calleeText: string): Value {
  const c: ContainerValue = { t: 'mod', mk: kind, children: [], node: args.node, sourceType: calleeText, issues: [...args.issues] };
  const first = args.pos[0];
  if (kind === 'seq' && args.pos.length === 1 && first.t === 'dict') {
    for (const [name, value] of first.entries) c.children.push({ name, value });
  } else if (kind === 'seq') {
    args.pos.forEach((value, i) => c.children.push({ name: String(i), value }));
  } else if (kind === 'dict' && first?.t === 'dict') {
    for (const [name, value] of first.entries) c.children.push({ name, value });
  } else if (first) {
    const items = iterate(first);
    if (items) items.forEach((value, i) => c.children.push({ name: String(i), value }));
    else c.issues.push({ symbol: first.t === 'unknown' ? first.symbol : null, reason: `contents of ${calleeText}(...) could not be resolved`, node: args.node });
    if (first.t === 'list') c.issues.push(...first.issues);
  }
  if (kind === 'seq') ip.noteModel(c, 'Sequential', args.node);
  return c;
}

/** Everything under `torch.`: containers, layers, init functions, weight_norm, functional ops, dummy inputs. */
export function callTorch(ip: Interp, path: string, args: Args, calleeText: string): Value | undefined {
  if (path === 'torch.nn.Sequential') return container(ip, 'seq', args, calleeText);
  if (path === 'torch.nn.ModuleList') return container(ip, 'list', args, calleeText);
  if (path === 'torch.nn.ModuleDict') return container(ip, 'dict', args, calleeText);
  if (path.startsWith('torch.nn.init.')) return callInit(ip, path.slice('torch.nn.init.'.length), args);
  if (/^torch\.nn\.utils\.(parametrizations\.)?weight_norm$/.test(path)) {
    const m = args.pos[0] ?? args.kw.get('module');
    if (m?.t === 'mod' && m.mk === 'leaf') m.spec.weightNorm = true;
    return m ?? unknown(null);
  }
  if (/^torch\.nn\.utils\.(parametrizations\.)?spectral_norm$/.test(path)) return args.pos[0] ?? unknown(null);
  const layer = /^torch\.nn\.([A-Za-z0-9_]+)$/.exec(path);
  if (layer) {
    const v = buildTorchLayer(layer[1], args, calleeText);
    if (v) return v;
  }
  if (/^torch\.(nn\.functional\.)?[a-z_0-9]+$/.test(path)) return callTorchOp(ip, path, args, calleeText);
  if (/^torch\.Tensor\.[a-z_]+$/.test(path)) return callTorchOp(ip, path, args, calleeText);
  return undefined;
}
