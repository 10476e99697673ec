/**
 * The dashboard page: the run panel, the layer table and the charts, drawn from DashboardState; user actions
 * become protocol commands to the host (which owns runs and the editor).
 */
import {
  CancelProbeCommand,
  CompareApplyCommand,
  CompareStartCommand,
  ExportChartRequest,
  ExportRunRequest,
  RerunProbeCommand,
  RevealLayerCommand,
  StartProbeCommand,
} from '../core/protocol';
import { depthProfile } from './charts/depthProfile';
import { seluPlane } from './charts/seluPlane';
import { gradientNorms, lossCurve, updateRatios } from './charts/training';
import { ChartPanel } from './components/chartPanel';
import { ComparePanel } from './compare/comparePanel';
import { LayerTable } from './components/layerTable';
import { RunPanel } from './components/runPanel';
import { distributionLayers, distributionPanel, heatmapPanel, type PanelWithControls } from './components/trainingPanels';
import type { HostConnection } from './hostConnection';
import type { Change, DashboardState } from './state';
import { readTheme, watchTheme, type ChartTheme } from './theme';

export class DashboardApp {
  private readonly panel: RunPanel;
  private readonly table: LayerTable;
  private readonly charts: ChartPanel[];
  private readonly compare: ComparePanel;
  /** Panels whose pickers follow the state (distribution: layer and phase; heatmap: metric). */
  private readonly controlled: PanelWithControls[];
  private theme: ChartTheme = readTheme();

  constructor(
    root: HTMLElement,
    private readonly state: DashboardState,
    private readonly host: HostConnection,
  ) {
    this.panel = new RunPanel({
      selectModel: (i) => {
        state.modelIndex = i;
        state.runId = null;
        state.changed('selection');
      },
      selectRun: (id) => {
        state.runId = id;
        state.changed('selection');
      },
      probe: (s) => host.command(StartProbeCommand, { uri: s.uri, modelIndex: s.modelIndex }),
      cancel: (runId) => host.command(CancelProbeCommand, { runId }),
      rerun: (runId) => host.command(RerunProbeCommand, { runId }),
      exportRun: (runId, format) => void this.report(host.request(ExportRunRequest, { runId, format }), `${format.toUpperCase()} export`),
    });
    this.table = new LayerTable(
      (layer) => {
        const s = state.subject();
        if (s) host.command(RevealLayerCommand, { uri: s.uri, range: layer.range });
        // The revealed layer is also the one the distribution chart shows.
        state.selectedLayer = layer.index;
        state.changed('selection');
      },
      (at) => {
        state.measuredAt = at;
        state.changed('selection');
      },
    );
    const subject = () => state.subject();
    const onExport = (chart: string, png: string) => void this.report(host.request(ExportChartRequest, { runId: state.subject()?.run?.id ?? null, chart, png }), `${chart} PNG export`);
    const distribution = distributionPanel(state, onExport);
    const heatmap = heatmapPanel(state, onExport);
    this.controlled = [distribution, heatmap];
    this.charts = [
      new ChartPanel({ id: 'depth-profile', title: 'Depth profile', empty: 'No layers to plot.', build: (t) => depthProfile(subject(), t) }, onExport),
      distribution.panel,
      new ChartPanel({ id: 'loss', title: 'Loss', empty: 'Probe the model to see its loss curve.', build: (t) => lossCurve(subject(), t) }, onExport),
      new ChartPanel({ id: 'grad-norm', title: 'Gradient norm by layer', empty: 'Probe the model to measure its gradients.', build: (t) => gradientNorms(subject(), t) }, onExport),
      new ChartPanel({ id: 'update-ratio', title: 'Update ratio by layer', empty: 'Probe the model to measure its update ratios.', build: (t) => updateRatios(subject(), t) }, onExport),
      heatmap.panel,
      new ChartPanel({ id: 'selu-plane', title: 'SELU (mean, variance) plane', height: 220, empty: '', build: (t) => seluPlane(subject(), t) }, onExport),
    ];
    this.compare = new ComparePanel(
      state,
      { start: (uri, modelIndex) => host.command(CompareStartCommand, { uri, modelIndex }), apply: (runId) => host.command(CompareApplyCommand, { runId }) },
      (chart, png) => void this.report(host.request(ExportChartRequest, { runId: null, chart, png }), `${chart} PNG export`),
    );
    root.replaceChildren(this.panel.el, this.table.el, ...this.charts.map((c) => c.el), this.compare.el);
    root.removeAttribute('aria-busy');
    state.subscribe((changes) => this.render(changes));
    watchTheme(() => {
      this.theme = readTheme();
      this.render(new Set(['selection']), true);
    });
    this.render(new Set(['analysis']));
  }

  private render(_changes: Set<Change>, themeChanged = false): void {
    const subject = this.state.subject();
    this.panel.update(this.state, subject);
    this.table.update(subject, this.state.measuredAt, distributionLayers(subject, this.state.selectedLayer).layer?.index ?? null);
    for (const p of this.controlled) p.sync(subject);
    for (const c of this.charts) c.update(this.theme, themeChanged);
    this.compare.update(this.theme, themeChanged);
    // The SELU plane only means something for SELU networks.
    const selu = this.charts.find((c) => c.el.dataset.chart === 'selu-plane')!;
    selu.el.hidden = !subject || !subject.model.layers.some((l) => l.activation?.name === 'selu');
  }

  private async report(p: Promise<{ path: string | null }>, what: string): Promise<void> {
    try {
      const { path } = await p;
      if (path) this.host.log('info', `${what} saved to ${path}`);
    } catch (err) {
      this.host.log('error', `${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
