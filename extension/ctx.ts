import * as vscode from 'vscode';
import { AnalysisService } from './analysisService';
import { readConfig, type NormLensConfig } from './config';
import { Log } from './log';

/** The one object activate() builds: shared services plus helpers that tie registrations to its lifetime. */
export class Ctx implements vscode.Disposable {
  readonly log: Log;
  readonly service: AnalysisService;
  config: NormLensConfig;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly configListeners: ((c: NormLensConfig) => void)[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = new Log();
    this.config = readConfig();
    this.service = new AnalysisService(extension.extensionUri, this.config, this.log);
    this.disposables.push(this.log, this.service);
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('normlens')) return;
      this.config = readConfig();
      this.service.setConfig(this.config);
      for (const l of this.configListeners) l(this.config);
    }, this, this.disposables);
  }

  push<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  onConfig(listener: (c: NormLensConfig) => void): void {
    this.configListeners.push(listener);
  }

  registerCommand(id: string, fn: (...args: never[]) => unknown): void {
    this.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          this.log.error(`${id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          void vscode.window.showErrorMessage(`NormLens: ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        }
      }),
    );
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables.reverse()).dispose();
  }
}
