import { canonicalPath } from './imports';
import type { ClassInfo, Value } from './values';

/** Abstract torch base classes init code tests against, mapped to the layer kinds they cover. */
const TORCH_BASES: Record<string, (kind: string) => boolean> = {
  'torch.nn.Module': () => true,
  'torch.nn._ConvNd': (k) => k === 'conv1d' || k === 'conv2d',
  'torch.nn.conv._ConvNd': (k) => k === 'conv1d' || k === 'conv2d',
  'torch.nn._BatchNorm': (k) => k === 'batchnorm',
  'torch.nn.batchnorm._BatchNorm': (k) => k === 'batchnorm',
  'torch.nn._NormBase': (k) => k === 'batchnorm' || k === 'instancenorm',
  'keras.layers.Layer': () => true,
  'keras.Layer': () => true,
};

function subclassOf(cls: ClassInfo, target: ClassInfo, depth = 0): boolean {
  if (cls === target) return true;
  if (depth > 32) return false;
  return cls.bases.some((b) => b.t === 'class' && subclassOf(b.cls, target, depth + 1));
}

function pathMatchesClass(cls: ClassInfo, path: string, depth = 0): boolean {
  if (depth > 32) return false;
  return cls.bases.some((b) =>
    b.t === 'class' ? pathMatchesClass(b.cls, path, depth + 1) : b.t === 'ref' && canonicalPath(b.path) === path,
  );
}

/** `isinstance(obj, cls)` (cls may be a tuple); null when it cannot be decided. */
export function isInstance(obj: Value, cls: Value): boolean | null {
  if (cls.t === 'list') {
    let unsure = false;
    for (const c of cls.items) {
      const r = isInstance(obj, c);
      if (r) return true;
      if (r === null) unsure = true;
    }
    return unsure ? null : false;
  }
  if (obj.t === 'unknown') return null;
  if (cls.t === 'class') return obj.t === 'inst' ? subclassOf(obj.cls, cls.cls) : false;
  if (cls.t !== 'ref') return null;
  const path = canonicalPath(cls.path);
  // A forward-pass tensor is a torch.Tensor (or a Keras tensor), never a tuple / list / number.
  if (obj.t === 'tensor') return path === 'torch.Tensor' || path.startsWith('tensorflow.');
  switch (obj.t) {
    case 'mod': {
      if (obj.mk === 'leaf') {
        if (obj.spec.classPath === path) return true;
        const base = TORCH_BASES[path];
        return base ? base(obj.spec.kind) && (path.startsWith('keras') === (obj.spec.framework === 'keras')) : false;
      }
      const containerPath = { seq: 'torch.nn.Sequential', list: 'torch.nn.ModuleList', dict: 'torch.nn.ModuleDict', kseq: 'keras.Sequential', kmodel: 'keras.Model' }[obj.mk];
      return path === containerPath || path === 'torch.nn.Module' || path === 'keras.Model' || path === 'keras.layers.Layer';
    }
    case 'inst':
      return pathMatchesClass(obj.cls, path) || (path === 'torch.nn.Module' && obj.cls.framework === 'pytorch');
    case 'param':
      return path === 'torch.nn.Parameter' || path === 'torch.Tensor';
    case 'num':
      return path === 'builtins.int' || path === 'builtins.float';
    case 'str':
      return path === 'builtins.str';
    case 'list':
      return path === (obj.tuple ? 'builtins.tuple' : 'builtins.list');
    case 'dict':
      return path === 'builtins.dict';
    default:
      return false;
  }
}
