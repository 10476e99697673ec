import type { SourceRange } from '../ir';

/**
 * Stable finding codes. They are the contract between a diagnostic and its quick fix, appear in settings
 * (`normlens.severity.<code>`) and in the docs link, so never rename one; add new ones.
 */
export const FINDING_CODES = [
  'selu-init',
  'selu-dropout',
  'vanishing-variance',
  'exploding-variance',
  'vanishing-gradient',
  'exploding-gradient',
  'saturation',
  'deep-sigmoid-no-norm',
  'batchnorm-small-batch',
  'bn-after-selu',
  'dropout-before-bn',
  'init-suggestion',
  'unresolved-width',
  'parse-error',
  'not-a-model',
  // Measured by a probe run (core/findings/measured.ts), not predicted.
  'measured-saturation',
  'measured-dead-units',
  'measured-vanishing-gradient',
  'measured-exploding-gradient',
  'measured-divergence',
  'measured-activation-std',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export type Severity = 'error' | 'warning' | 'info';

/** A text replacement in the analysed file (0-based positions, like vscode.TextEdit). */
export interface TextEdit {
  range: SourceRange;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The one right answer for the finding (shown first, applied by "fix all"). */
  isPreferred: boolean;
}

export interface RelatedInfo {
  range: SourceRange;
  message: string;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  range: SourceRange;
  message: string;
  /** Index of the model in the file and of the layer in the model (null for model-level findings). */
  modelIndex: number | null;
  layerIndex: number | null;
  related: RelatedInfo[];
  fixes: Fix[];
}

/** Thresholds users may disagree with; defaults from reference.md's published tools, overridable in settings. */
export interface FindingThresholds {
  /** Flag SELU layers whose sigma_w^2 is off 1 by more than this relative amount (the fixed point moves). */
  seluTauTolerance: number;
  /** Output variance ratio last/first layer below this: vanishing; above `explodingVariance`: exploding. */
  vanishingVariance: number;
  explodingVariance: number;
  /** Product of gradient gains over depth below / above these (AUTOTRAINER uses 1e-3 and 70 on norms). */
  vanishingGradient: number;
  explodingGradient: number;
  /** Predicted saturated fraction of a tanh/sigmoid layer above which it is flagged (DeepDiagnosis: 50%). */
  saturation: number;
  /** More hidden sigmoid/tanh layers than this without normalization is "deep". */
  deepSigmoidLayers: number;
  /** BatchNorm with a known batch size below this is flagged. */
  smallBatch: number;
  /** Suggest an initializer when sigma_w^2 differs from the critical value by more than this factor. */
  initSuggestionFactor: number;
}

export const DEFAULT_THRESHOLDS: FindingThresholds = {
  seluTauTolerance: 0.05,
  vanishingVariance: 1e-2,
  explodingVariance: 1e2,
  vanishingGradient: 1e-3,
  explodingGradient: 70,
  saturation: 0.5,
  deepSigmoidLayers: 4,
  smallBatch: 16,
  initSuggestionFactor: 1.5,
};
