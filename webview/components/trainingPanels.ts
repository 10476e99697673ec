/**
 * The chart panels that carry their own controls: the distribution over training (layer and pre/post pickers)
 * and the saturation / dead-unit heatmap (metric picker). Choices live in DashboardState, so the layer table can
 * pick the charted layer too.
 */
import type { Layer } from '../../core/ir';
import { defaultDistributionLayer, sampledLayers, type HeatMetric, type Phase } from '../charts/chartData';
import { distributionChart } from '../charts/distribution';
import { heatmapChart } from '../charts/heatmap';
import type { DashboardState, Subject } from '../state';
import { ChartPanel } from './chartPanel';
import { dropdown } from './toolkit';

/** A panel plus what keeps its controls in step with the state. */
export interface PanelWithControls {
  panel: ChartPanel;
  sync(subject: Subject | null): void;
}

/** The layers the distribution chart can show, and the one it shows. */
export function distributionLayers(subject: Subject | null, selected: number | null): { choices: Layer[]; layer: Layer | null } {
  if (!subject) return { choices: [], layer: null };
  const records = subject.run?.records ?? [];
  const sampled = sampledLayers(subject.model.layers, records);
  const choices = sampled.length ? sampled : subject.model.layers;
  const layer = choices.find((l) => l.index === selected) ?? defaultDistributionLayer(choices);
  return { choices, layer };
}

export function distributionPanel(state: DashboardState, onExport: (id: string, png: string) => void): PanelWithControls {
  const layerPicker = dropdown('Layer shown in the distribution chart', (v) => {
    state.selectedLayer = Number(v);
    state.changed('selection');
  });
  const phasePicker = dropdown('Distribution before or after the activation', (v) => {
    state.distributionPhase = v === 'pre' ? 'pre' : 'post';
    state.changed('selection');
  });
  const panel = new ChartPanel(
    {
      id: 'distribution',
      title: 'Distribution over training',
      empty: 'Probe the model to see how a layer’s distribution moves while it trains.',
      controls: [layerPicker.el, phasePicker.el],
      build: (t) => {
        const subject = state.subject();
        return distributionChart(subject?.run ?? null, distributionLayers(subject, state.selectedLayer).layer, state.distributionPhase, t);
      },
    },
    onExport,
  );
  return {
    panel,
    sync(subject) {
      const { choices, layer } = distributionLayers(subject, state.selectedLayer);
      layerPicker.el.hidden = !choices.length;
      phasePicker.el.hidden = !choices.length;
      layerPicker.set(
        choices.map((l) => ({ value: String(l.index), label: `${l.name} (${l.activation && l.kind !== 'activation' ? `${l.kind}+${l.activation.name}` : l.kind === 'activation' && l.activation ? l.activation.name : l.kind})` })),
        layer ? String(layer.index) : '',
      );
      const phases: { value: Phase; label: string }[] = [
        { value: 'post', label: 'output' },
        { value: 'pre', label: 'pre-activation' },
      ];
      phasePicker.set(phases, state.distributionPhase);
    },
  };
}

export function heatmapPanel(state: DashboardState, onExport: (id: string, png: string) => void): PanelWithControls {
  const metricPicker = dropdown('Heatmap metric', (v) => {
    state.heatMetric = v === 'dead' ? 'dead' : 'saturation';
    state.changed('selection');
  });
  const panel = new ChartPanel(
    {
      id: 'heatmap',
      title: 'Saturation / dead units',
      empty: 'Probe the model to see saturation and dead units per layer over training.',
      controls: [metricPicker.el],
      build: (t) => heatmapChart(state.subject(), state.heatMetric, t),
    },
    onExport,
  );
  return {
    panel,
    sync(subject) {
      metricPicker.el.hidden = !subject?.run?.records.length;
      const metrics: { value: HeatMetric; label: string }[] = [
        { value: 'saturation', label: 'saturated fraction' },
        { value: 'dead', label: 'dead units' },
      ];
      metricPicker.set(metrics, state.heatMetric);
    },
  };
}
