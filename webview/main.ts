/**
 * Entry of the dashboard webview (bundled to dist/webview.js, loaded by nonce under a strict CSP). Builds the
 * page, then says `webview/ready`; from there on every host message is checked (hostConnection.ts) and applied
 * to the state the page draws from, and probe runs the host hands over are computed here.
 */
// First: hides WebAssembly from the modules below while they load (see the file).
import { restoreWebAssembly } from './cspPrelude';
import 'uplot/dist/uPlot.min.css';
import type { ProbeRecord } from '../core/probe/config';
import { ExecuteProbeRequest, PROTOCOL_VERSION, ReadyCommand, fromWire, type AnalysisView, type ProbeRun } from '../core/protocol';
import { DashboardApp } from './app';
import { registerToolkit } from './components/toolkit';
import { HostConnection, type HostMessage } from './hostConnection';
import { ProbeExecutor } from './probe/executor';
import { DashboardState } from './state';

restoreWebAssembly();
const host = new HostConnection();
window.addEventListener('error', (e) => host.log('error', `uncaught: ${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener('unhandledrejection', (e) => host.log('error', `unhandled rejection: ${e.reason instanceof Error ? (e.reason.stack ?? e.reason.message) : String(e.reason)}`));

registerToolkit();
const state = new DashboardState();
const executor = new ProbeExecutor(host);
new DashboardApp(document.getElementById('app')!, state, host);

host.onMessage = (m: HostMessage) => {
  switch (m.method) {
    case 'analysis/didChange':
      return state.setAnalysis(m.params.analysis ? fromWire<AnalysisView>(m.params.analysis) : null);
    case 'runs/didChange':
      return state.setRuns(m.params.runs.map((r) => fromWire<ProbeRun>(r)));
    case 'run/didChange':
      return state.upsertRun(fromWire<ProbeRun>(m.params.run));
    case 'run/didAppendRecord':
      return state.appendRecord(m.params.runId, fromWire<ProbeRecord>(m.params.record));
    case 'run/didCancel':
      return executor.cancel(m.params.runId);
    case 'probe/execute':
      return host.respond(ExecuteProbeRequest, m.id, { result: executor.enqueue(m.params) });
  }
};
host.command(ReadyCommand, { protocol: PROTOCOL_VERSION });
host.log('info', `dashboard page ready ${Math.round(performance.now())} ms after it started loading`);
