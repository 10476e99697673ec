/**
 * The only file that knows about @vscode/webview-ui-toolkit. The toolkit is no longer developed: everything
 * else builds controls through these functions, so replacing it (with native elements styled by the VS Code
 * CSS variables, or another library) means rewriting this file alone.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDivider, vsCodeDropdown, vsCodeOption } from '@vscode/webview-ui-toolkit';

let registered = false;

/** Define the custom elements once (only the ones used: the rest are tree-shaken out of the bundle). */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeDivider());
}

export interface ButtonOptions {
  /** primary: the one main action of a group; secondary: others; icon: a compact toolbar button. */
  appearance?: 'primary' | 'secondary' | 'icon';
  /** Tooltip and accessible name (required for icon buttons, whose label is a glyph). */
  title?: string;
  onClick: () => void;
}

/** A button; keyboard and focus behaviour come from the toolkit (Enter / Space, focus ring). */
export function button(label: string, options: ButtonOptions): HTMLElement {
  const el = document.createElement('vscode-button');
  el.textContent = label;
  el.setAttribute('appearance', options.appearance ?? 'secondary');
  if (options.title) {
    el.title = options.title;
    el.setAttribute('aria-label', options.title);
  }
  el.addEventListener('click', () => {
    if (!el.hasAttribute('disabled')) options.onClick();
  });
  return el;
}

export function setDisabled(el: HTMLElement, disabled: boolean): void {
  el.toggleAttribute('disabled', disabled);
}

export interface Choice {
  value: string;
  label: string;
}

/** A drop-down list. `onChange` gets the chosen value. */
export function dropdown(label: string, onChange: (value: string) => void): { el: HTMLElement; set(choices: Choice[], selected: string): void } {
  const el = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  el.setAttribute('aria-label', label);
  el.title = label;
  el.addEventListener('change', () => onChange(el.value));
  let key = '';
  return {
    el,
    set(choices, selected) {
      // Rebuilding the options closes an open list: only do it when they changed.
      const next = JSON.stringify(choices);
      if (next !== key) {
        key = next;
        el.replaceChildren(
          ...choices.map((c) => {
            const o = document.createElement('vscode-option');
            o.setAttribute('value', c.value);
            o.textContent = c.label;
            return o;
          }),
        );
      }
      if (el.value !== selected) el.value = selected;
    },
  };
}

/**
 * A small status pill. Native, not vscode-badge: the toolkit's badge and progress ring templates bind a `style`
 * attribute, which a CSP without 'unsafe-inline' styles blocks (and reports) every time one renders.
 */
export function badge(text: string): HTMLElement {
  const el = document.createElement('span');
  el.className = 'badge';
  el.textContent = text;
  return el;
}

export function divider(): HTMLElement {
  const el = document.createElement('vscode-divider');
  el.setAttribute('role', 'separator');
  return el;
}
