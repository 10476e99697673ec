/**
 * The one model description (IR) every front end produces and every consumer (theory, findings, probe engine,
 * CLI, extension, dashboard) reads. Plain data only: no classes, no functions, serialisable as JSON so it can cross
 * the host <-> webview boundary unchanged.
 *
 * Conventions
 * - Source positions are 0-based (line and column), as in tree-sitter and the VS Code API. The CLI prints 1-based.
 * - Widths are per-sample feature counts (dense) or channel counts (conv). Spatial sizes live in `spatial`.
 * - A quantity the front end could not resolve is `null`, with the Python/JSON symbol it depends on in the
 *   matching `*Symbol` field and a `PartialReason` on the model. Never a silent guess.
 */

/** Where the model text came from. */
export type SourceFormat = 'pytorch' | 'keras' | 'keras-json' | 'tfjs-json' | 'unknown';

/** The framework whose conventions (init defaults, BatchNorm momentum/eps) apply. */
export type Framework = 'pytorch' | 'keras' | 'tfjs';

/** 0-based, end exclusive column, like vscode.Range. */
export interface SourceRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export type LayerKind =
  | 'dense'
  | 'conv1d'
  | 'conv2d'
  | 'pool'
  | 'flatten'
  | 'batchnorm'
  | 'batchrenorm'
  | 'layernorm'
  | 'groupnorm'
  | 'instancenorm'
  | 'dropout'
  | 'alphadropout'
  | 'activation'
  | 'residual'
  | 'other';

/** Activation names, normalised across frameworks (PyTorch `nn.SiLU` and Keras `swish` are both `swish`). */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'leaky_relu'
  | 'elu'
  | 'selu'
  | 'gelu'
  | 'tanh'
  | 'sigmoid'
  | 'hard_sigmoid'
  | 'softplus'
  | 'softsign'
  | 'swish'
  | 'mish'
  | 'softmax'
  | 'log_softmax'
  | 'prelu';

export const ACTIVATION_NAMES: readonly ActivationName[] = [
  'linear', 'relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'gelu', 'tanh', 'sigmoid', 'hard_sigmoid',
  'softplus', 'softsign', 'swish', 'mish', 'softmax', 'log_softmax', 'prelu',
];

export interface Activation {
  name: ActivationName;
  /** negative_slope for leaky_relu (PyTorch default 0.01, Keras 0.3 / 0.2 in Keras 3), alpha for elu (1.0). */
  param?: number;
  /** Where the activation is named in the source (inline `activation='selu'` or a separate module). */
  range?: SourceRange;
}

/** Initializer schemes, normalised. Framework defaults are schemes of their own so findings can name them. */
export type InitScheme =
  | 'pytorch_default' // kaiming_uniform_(a = sqrt 5): Var(w) = 1/(3 fan_in)
  | 'lecun_normal'
  | 'lecun_uniform'
  | 'he_normal'
  | 'he_uniform'
  | 'glorot_normal'
  | 'glorot_uniform'
  | 'kaiming_normal' // PyTorch, with gain from `nonlinearity`/`a`
  | 'kaiming_uniform'
  | 'xavier_normal'
  | 'xavier_uniform'
  | 'variance_scaling'
  | 'normal'
  | 'truncated_normal'
  | 'uniform'
  | 'orthogonal'
  | 'zeros'
  | 'ones'
  | 'constant'
  | 'identity'
  | 'unknown';

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';

/** Everything needed to compute Var(w) once fan-in / fan-out are known (see core/initializers.ts). */
export interface InitSpec {
  scheme: InitScheme;
  /** Which framework's implementation: decides truncation correction (Keras corrects, tfjs does not). */
  framework: Framework;
  distribution: 'normal' | 'truncated_normal' | 'uniform' | 'orthogonal' | 'constant';
  mode?: FanMode;
  /** Variance-scaling `scale` (Keras) or squared gain (PyTorch gain^2) multiplying 1/fan. */
  scale?: number;
  /** PyTorch gain as written (calculate_gain result or literal), for messages. */
  gain?: number;
  /** PyTorch `nonlinearity=` argument when given (kaiming_*), e.g. 'linear', 'selu', 'relu'. */
  nonlinearity?: string;
  /** Explicit parameters of plain distributions: normal std / mean, uniform [a, b], constant value. */
  std?: number;
  mean?: number;
  low?: number;
  high?: number;
  value?: number;
  /** True when the file says it; false for the framework default. */
  explicit: boolean;
  /** Source of the init call or `kernel_initializer=` argument when explicit (target of quick fixes). */
  range?: SourceRange;
  /**
   * Where a diagnostic about the init points, when narrower than `range`: a JSON initializer object spans several
   * lines, its `class_name` value one (the quick fix still replaces `range`).
   */
  markRange?: SourceRange;
  /** Resolved Var(w) (null when it depends on an unresolved width). Filled by resolveInitVariances. */
  weightVariance: number | null;
  /** fan_in * Var(w): the mean-field sigma_w^2 and the SNN paper's tau (omega = 0). Null when unknown. */
  sigmaW2: number | null;
}

export interface BiasSpec {
  present: boolean;
  /** Var(b). PyTorch default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) -> 1/(3 fan_in); Keras default zeros. */
  variance: number | null;
  scheme: 'zeros' | 'pytorch_default' | 'constant' | 'normal' | 'uniform' | 'unknown';
}

export interface NormSpec {
  /** Framework convention for `momentum`: PyTorch running = (1-m) running + m batch; Keras/tfjs the reverse. */
  convention: Framework;
  momentum: number | null;
  eps: number | null;
  affine: boolean;
  /** GroupNorm group count (Keras default 32). */
  groups?: number | null;
  groupsSymbol?: string | null;
  /** Batch Renormalization clipping (Keras `renorm=True`, `renorm_clipping`). */
  renorm?: { rmax: number; dmax: number } | null;
  /** Axis normalised over, as written (Keras `axis`), for messages. */
  axis?: number | number[] | null;
}

export interface ConvSpec {
  kernel: number[];
  stride: number[];
  /** 'valid' | 'same' | explicit per-dimension symmetric padding (PyTorch `padding=1`). */
  padding: 'valid' | 'same' | number[];
  dilation: number[];
  groups?: number;
}

export interface PoolSpec {
  op: 'max' | 'avg' | 'global_max' | 'global_avg' | 'adaptive_avg' | 'adaptive_max';
  kernel: number[];
  stride: number[];
  padding: 'valid' | 'same' | number[];
  /** Adaptive pools: the output size. */
  outputSize?: number[];
  dims: 1 | 2;
}

/** A width that may be unresolved: `value` null and `symbol` names what it depends on. */
export interface Dim {
  value: number | null;
  symbol: string | null;
}

export interface Layer {
  /** Position in the model's forward order, 0-based. Same index in analyze and probe output. */
  index: number;
  /** Attribute / key / Keras layer name where the source has one, else kind + counter ("linear_3"). */
  name: string;
  kind: LayerKind;
  /** The class or function that created it as written ("nn.Linear", "Dense", "F.relu"). */
  sourceType: string;
  /** Features (dense) or channels (conv, norm) in and out. */
  in: Dim;
  out: Dim;
  /** Spatial size of the output (conv / pool), null when unknown or not spatial. */
  spatial?: number[] | null;
  activation: Activation | null;
  init: InitSpec | null;
  bias: BiasSpec | null;
  norm: NormSpec | null;
  conv?: ConvSpec;
  pool?: PoolSpec;
  /** Dropout / alpha dropout rate (probability of dropping). */
  rate: number | null;
  /** `torch.nn.utils.weight_norm(...)` / `parametrizations.weight_norm` or a Keras WeightNormalization wrapper. */
  weightNorm?: boolean;
  /** Residual add: this layer's output is added to the output of layer `residual.from` (index; -1 = model input). */
  residual?: { from: number };
  /** Exact source range of the code that created it (the constructor call / JSON layer object). */
  range: SourceRange;
  /** Second range where it is used in forward() (PyTorch class models), if different from the definition. */
  useRange?: SourceRange;
  /**
   * PyTorch: a Python expression that names this module after construction ("self.fc1", "self.layers[2]",
   * "model[0]"), so a quick fix can write `nn.init.kaiming_normal_(<target>.weight, ...)`. Absent when only a
   * loop over `.modules()` can reach it (layers built in comprehensions).
   */
  initTarget?: string;
}

/**
 * PyTorch: where a quick fix may insert init statements for a whole model: after the line that finishes building
 * it (end of `__init__` for class models, after the `nn.Sequential(...)` statement otherwise).
 */
export interface InitAnchor {
  /** 0-based line after which statements are inserted. */
  insertAfterLine: number;
  /** Indentation of the inserted statements. */
  indent: string;
  /** Expression for the model inside that scope: "self" in `__init__`, the variable name otherwise. */
  moduleExpr: string;
  /** How the file reaches torch.nn.init: "nn.init", "torch.nn.init" or "init" (from `from torch.nn import init`). */
  initModule: string;
  /** How the file names torch.nn, for isinstance checks: "nn", "torch.nn". */
  nnModule: string;
}

export interface PartialReason {
  /** The symbol that could not be resolved (e.g. "in_dim"), null when the problem is not a symbol. */
  symbol: string | null;
  reason: string;
  range: SourceRange | null;
  /** Layer index affected, if any. */
  layer?: number;
}

export interface ModelInput {
  /** Per-sample shape without the batch dimension, e.g. [784] or [3, 32, 32] (PyTorch) / [32, 32, 3] (Keras). */
  shape: number[] | null;
  /** True when NormLens chose it (from the first layer's fan-in or a setting) rather than reading it. */
  assumed: boolean;
  /** Channel layout of `shape` for spatial inputs. */
  layout?: 'channels_first' | 'channels_last';
}

export interface Model {
  name: string;
  framework: Framework;
  /** Range of the class / Sequential call / JSON model that defines it (CodeLens anchor). */
  range: SourceRange;
  input: ModelInput;
  /** Training batch size when the file says it (DataLoader batch_size=, fit(batch_size=), directive). */
  batchSize: number | null;
  layers: Layer[];
  /** Everything that made the description incomplete. Empty means fully resolved. */
  partial: PartialReason[];
  /** PyTorch only: where init statements for this model can go (quick fixes). */
  initAnchor?: InitAnchor;
}

/** `# normlens: key=value, ...` / `// normlens:` pins, parsed from comments. */
export interface Directives {
  values: Record<string, number>;
  range: SourceRange | null;
}

/** What a front end returns for one file. `error` is set when nothing could be read (syntax error, not a model). */
export interface FileModels {
  format: SourceFormat;
  error: { message: string; range: SourceRange | null } | null;
  models: Model[];
  directives: Directives;
}

export function emptyRange(): SourceRange {
  return { startLine: 0, startColumn: 0, endLine: 0, endColumn: 0 };
}

export function knownDim(value: number): Dim {
  return { value, symbol: null };
}

export function unknownDim(symbol: string | null): Dim {
  return { value: null, symbol };
}
