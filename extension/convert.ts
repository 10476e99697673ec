import * as vscode from 'vscode';
import type { SourceRange } from '../core/ir';
import type { Finding, TextEdit } from '../core/findings/types';
import type { SeverityOverride } from './config';

export function toRange(r: SourceRange): vscode.Range {
  return new vscode.Range(r.startLine, r.startColumn, r.endLine, r.endColumn);
}

export function toSeverity(f: Finding, override: SeverityOverride | undefined): vscode.DiagnosticSeverity | null {
  const s = override ?? f.severity;
  switch (s) {
    case 'off':
      return null;
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    case 'hint':
      return vscode.DiagnosticSeverity.Hint;
    default:
      return vscode.DiagnosticSeverity.Information;
  }
}

export function toWorkspaceEdit(uri: vscode.Uri, edits: TextEdit[], edit = new vscode.WorkspaceEdit()): vscode.WorkspaceEdit {
  for (const e of edits) edit.replace(uri, toRange(e.range), e.newText);
  return edit;
}

/** Same finding? Diagnostics carry code + range; that pair identifies the finding in the current analysis. */
export function sameFinding(d: vscode.Diagnostic, f: Finding): boolean {
  const code = typeof d.code === 'object' ? d.code.value : d.code;
  return code === f.code && d.range.isEqual(toRange(f.range));
}
