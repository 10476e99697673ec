import * as vscode from 'vscode';

/**
 * The NormLens output channel, remembering the errors it was given so end-to-end tests (and the status of a
 * session) can tell "a clear diagnostic" from "an exception in the log".
 */
export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('NormLens', { log: true });
  readonly errors: string[] = [];

  info(message: string): void {
    this.channel.info(message);
  }
  debug(message: string): void {
    this.channel.debug(message);
  }
  warn(message: string): void {
    this.channel.warn(message);
  }
  error(message: string): void {
    this.errors.push(message);
    this.channel.error(message);
  }
  show(preserveFocus = false): void {
    this.channel.show(preserveFocus);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
