/** Generators of large model files for benchmarks and load tests (deterministic text, no randomness). */

/** A PyTorch class model with `depth` Linear+SELU pairs spelled out one per line (2*depth layers + head). */
export function pytorchDeepFile(depth: number, width = 256): string {
  const lines = ['import torch', 'import torch.nn as nn', '', '', 'class Deep(nn.Module):', '    def __init__(self):', '        super().__init__()'];
  for (let i = 0; i < depth; i++) lines.push(`        self.fc${i} = nn.Linear(${i === 0 ? 784 : width}, ${width})`);
  lines.push(`        self.head = nn.Linear(${width}, 10)`, '', '    def forward(self, x):');
  for (let i = 0; i < depth; i++) lines.push(`        x = torch.selu(self.fc${i}(x))`);
  lines.push('        return self.head(x)', '', '', 'model = Deep()', '');
  return lines.join('\n');
}

/** A Keras 2 Sequential `to_json()` topology with `depth` Dense layers (inline activation). */
export function kerasJsonDeep(depth: number, width = 256): string {
  const layers = [];
  for (let i = 0; i < depth; i++) {
    layers.push({
      class_name: 'Dense',
      config: {
        name: `dense_${i}`, trainable: true, dtype: 'float32', units: width, activation: i % 2 ? 'tanh' : 'selu', use_bias: true,
        ...(i === 0 ? { batch_input_shape: [null, 784] } : {}),
        kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal', seed: null } },
        bias_initializer: { class_name: 'Zeros', config: {} },
        kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
      },
    });
  }
  return JSON.stringify({ class_name: 'Sequential', config: { name: 'sequential', layers }, keras_version: '2.15.0', backend: 'tensorflow' }, null, 2);
}

const zeros = { class_name: 'Zeros', config: {} };
const ones = { class_name: 'Ones', config: {} };
const noise = { kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null };

function layer(className: string, name: string, config: Record<string, unknown>, inputs: string[]) {
  return {
    class_name: className,
    config: { name, trainable: true, dtype: 'float32', ...config },
    name,
    inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}])] : [],
  };
}

/** Keras 2 functional residual MLP: per block Dense -> BatchNormalization -> Activation -> Dropout -> Add(skip); 40 blocks = 200 layers. */
export function generateResidualTopology(blocks: number): string {
  const layers: unknown[] = [layer('InputLayer', 'input_1', { batch_input_shape: [null, 512], sparse: false, ragged: false }, [])];
  let prev = 'input_1';
  for (let b = 0; b < blocks; b++) {
    const skip = prev;
    layers.push(layer('Dense', `dense_${b}`, {
      units: 512, activation: 'linear', use_bias: false,
      kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal', seed: null } },
      bias_initializer: zeros, ...noise,
    }, [prev]));
    layers.push(layer('BatchNormalization', `batch_normalization_${b}`, {
      axis: [1], momentum: 0.99, epsilon: 0.001, center: true, scale: true, beta_initializer: zeros, gamma_initializer: ones,
      moving_mean_initializer: zeros, moving_variance_initializer: ones, beta_regularizer: null, gamma_regularizer: null,
      beta_constraint: null, gamma_constraint: null,
    }, [`dense_${b}`]));
    layers.push(layer('Activation', `activation_${b}`, { activation: 'selu' }, [`batch_normalization_${b}`]));
    layers.push(layer('Dropout', `dropout_${b}`, { rate: 0.1, noise_shape: null, seed: null }, [`activation_${b}`]));
    layers.push(layer('Add', `add_${b}`, {}, [`dropout_${b}`, skip]));
    prev = `add_${b}`;
  }
  const model = {
    class_name: 'Functional',
    config: { name: 'deep_residual', layers, input_layers: [['input_1', 0, 0]], output_layers: [[prev, 0, 0]] },
    keras_version: '2.12.0',
    backend: 'tensorflow',
  };
  return JSON.stringify(model, null, 2);
}

