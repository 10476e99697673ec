import * as vscode from 'vscode';
import { modelInitFix } from '../core/findings/rules';
import { mergeEdits } from '../core/findings/fixes';
import { SourceText } from '../core/findings/sourceText';
import type { TextEdit } from '../core/findings/types';
import type { FileAnalysis } from '../core/analyzer';
import type { AnalysisService } from './analysisService';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { sameFinding, toWorkspaceEdit } from './convert';

export const APPLY_INITS_KIND = vscode.CodeActionKind.Source.append('normlens').append('applyInits');

/** Edits applying every suggested initializer in the file (all models), or in one model. */
export function allInitEdits(analysis: FileAnalysis, text: string, modelIndex?: number): TextEdit[] {
  const src = new SourceText(text);
  const ctx = { format: analysis.format, src, models: analysis.models, predictions: analysis.predictions };
  const edits: TextEdit[] = [];
  analysis.models.forEach((_, mi) => {
    if (modelIndex !== undefined && mi !== modelIndex) return;
    const fix = modelInitFix(ctx, mi);
    if (fix) edits.push(...fix.edits);
  });
  return mergeEdits(src, edits);
}

/** Quick fixes for NormLens diagnostics, and a source action that applies all suggested initializers. */
export class NormLensCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, APPLY_INITS_KIND],
  };

  constructor(private readonly service: AnalysisService) {}

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const analysis = this.service.get(doc.uri) ?? (await this.service.analyzeDocument(doc));
    if (!analysis) return [];
    const actions: vscode.CodeAction[] = [];
    const wantQuickFix = !context.only || context.only.contains(vscode.CodeActionKind.QuickFix);
    if (wantQuickFix) {
      for (const d of context.diagnostics) {
        if (d.source !== DIAGNOSTIC_SOURCE) continue;
        const finding = analysis.findings.find((f) => sameFinding(d, f));
        for (const fix of finding?.fixes ?? []) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.edit = toWorkspaceEdit(doc.uri, fix.edits);
          action.diagnostics = [d];
          action.isPreferred = fix.isPreferred;
          actions.push(action);
        }
      }
    }
    if (!context.only || context.only.contains(APPLY_INITS_KIND) || APPLY_INITS_KIND.contains(context.only)) {
      const edits = allInitEdits(analysis, doc.getText());
      if (edits.length) {
        const action = new vscode.CodeAction('NormLens: Apply all suggested initializers', APPLY_INITS_KIND);
        action.edit = toWorkspaceEdit(doc.uri, edits);
        actions.push(action);
      }
    }
    return actions;
  }
}
