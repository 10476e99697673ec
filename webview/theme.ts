/**
 * Chart colours from the VS Code theme. The workbench sets `--vscode-*` CSS variables on the page and swaps the
 * body class (vscode-light / vscode-dark / vscode-high-contrast[-light]) when the theme changes; canvas charts
 * cannot use CSS variables, so they read the values here and are redrawn on a change.
 */

export interface ChartTheme {
  kind: 'light' | 'dark' | 'high-contrast';
  foreground: string;
  muted: string;
  grid: string;
  /** Target band fill (the (0, 1) band, Theorem 1's box). */
  band: string;
  /** What the charts are drawn on (the sidebar), and the cold end of the heatmap ramp. */
  background: string;
  /** High contrast themes outline things; transparent elsewhere. */
  contrastBorder: string;
  /** Fill opacity of one percentile band (bands nest, so the centre is darker); higher in high contrast. */
  bandAlpha: number;
  font: string;
  /** Series colours: mean, variance, a third quantity, a fourth, and for warnings. */
  blue: string;
  orange: string;
  green: string;
  purple: string;
  red: string;
  yellow: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

/** Give a hex colour (#rgb, #rrggbb, #rrggbbaa: what theme variables hold) an alpha; anything else is returned as it is. */
export function withAlpha(color: string, alpha: number): string {
  let hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim())?.[1];
  if (!hex || ![3, 6, 8].includes(hex.length)) return color;
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  // An 8-digit colour already has an alpha: scale it rather than replace it.
  const base = hex.length === 8 ? parseInt(hex.slice(6), 16) / 255 : 1;
  return `#${hex.slice(0, 6)}${Math.round(alpha * base * 255).toString(16).padStart(2, '0')}`;
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const cls = document.body.classList;
  const kind = cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light') ? 'high-contrast' : cls.contains('vscode-light') ? 'light' : 'dark';
  const foreground = cssVar(style, '--vscode-charts-foreground', cssVar(style, '--vscode-foreground', kind === 'light' ? '#333333' : '#cccccc'));
  const green = cssVar(style, '--vscode-charts-green', '#89d185');
  return {
    kind,
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', foreground),
    grid: cssVar(style, '--vscode-charts-lines', kind === 'light' ? '#00000026' : '#ffffff26'),
    band: withAlpha(green, kind === 'high-contrast' ? 0.28 : 0.14),
    background: cssVar(style, '--vscode-sideBar-background', cssVar(style, '--vscode-editor-background', kind === 'light' ? '#ffffff' : '#1e1e1e')),
    contrastBorder: cssVar(style, '--vscode-contrastBorder', 'transparent'),
    bandAlpha: kind === 'high-contrast' ? 0.3 : 0.2,
    // Axis text a notch smaller than the UI font: a sidebar chart has little room for tick labels.
    font: `11px ${cssVar(style, '--vscode-font-family', 'sans-serif')}`,
    blue: cssVar(style, '--vscode-charts-blue', '#3794ff'),
    orange: cssVar(style, '--vscode-charts-orange', '#d18616'),
    green,
    purple: cssVar(style, '--vscode-charts-purple', '#b180d7'),
    red: cssVar(style, '--vscode-charts-red', '#f14c4c'),
    yellow: cssVar(style, '--vscode-charts-yellow', '#cca700'),
  };
}

/** Call `onChange` when the workbench switches theme (body class or the injected variables change). */
export function watchTheme(onChange: () => void): () => void {
  let last = JSON.stringify(readTheme());
  const observer = new MutationObserver(() => {
    const now = JSON.stringify(readTheme());
    if (now !== last) {
      last = now;
      onChange();
    }
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
