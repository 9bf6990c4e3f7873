// The demo classifier's own kernels: forward and backward of logits = relu(x W1 + b1) W2 + b2, the parameter
// gradients, Adam, and an accuracy counter. The cross-entropy between them (loss and d loss / d logits, fused in one
// pass) is the library's: engine.gpu.crossEntropy on the same device. One thread per output element; the sizes are
// tiny (hundreds of points, 32 hidden units), so clarity wins over tiling.
//
// Layout (see model.ts): state = [params | grads | first moments | second moments], each `model.total` floats;
// params = [W1 (2 x H) | b1 (H) | W2 (H x C) | b2 (C)], row-major. `hidden` holds the activations [count, H] followed
// by their gradient [count, H].

struct Model {
  hidden: u32,
  classes: u32,
  total: u32,
  slot: u32,          // metrics slot of this step (loss bits at 2*slot, correct count at 2*slot+1)
  w1: u32,
  b1: u32,
  w2: u32,
  b2: u32,
  learning_rate: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  correction1: f32,   // 1 - beta1^t, computed on the host in f64
  correction2: f32,   // 1 - beta2^t
  _pad0: u32,
  _pad1: u32,
}

struct Batch {
  count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> model: Model;
@group(0) @binding(1) var<storage, read_write> state: array<f32>;

@group(1) @binding(0) var<uniform> batch: Batch;
@group(1) @binding(1) var<storage, read_write> points: array<f32>;
@group(1) @binding(2) var<storage, read_write> labels: array<i32>;
@group(1) @binding(3) var<storage, read_write> hidden: array<f32>;
@group(1) @binding(4) var<storage, read_write> logits: array<f32>;
@group(1) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(1) @binding(6) var<storage, read_write> metrics: array<atomic<u32>>;

const WG: u32 = 64u;

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn forward_hidden(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  let H = model.hidden;
  if (i >= batch.count * H) { return; }
  let n = i / H;
  let j = i % H;
  let pre = state[model.b1 + j] + points[2u * n] * state[model.w1 + j] + points[2u * n + 1u] * state[model.w1 + H + j];
  hidden[i] = max(pre, 0.0);
}

@compute @workgroup_size(WG)
fn forward_logits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  let H = model.hidden;
  let C = model.classes;
  if (i >= batch.count * C) { return; }
  let n = i / C;
  let k = i % C;
  var z = state[model.b2 + k];
  for (var j = 0u; j < H; j++) {
    z += hidden[n * H + j] * state[model.w2 + j * C + k];
  }
  logits[i] = z;
}

// d loss / d hidden = (dlogits W2^T) * relu'(pre-activation); relu' is read off the activation (> 0).
@compute @workgroup_size(WG)
fn backward_hidden(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  let H = model.hidden;
  let C = model.classes;
  let count = batch.count;
  if (i >= count * H) { return; }
  let n = i / H;
  let j = i % H;
  var dh = 0.0;
  for (var k = 0u; k < C; k++) {
    dh += dlogits[n * C + k] * state[model.w2 + j * C + k];
  }
  hidden[count * H + i] = select(0.0, dh, hidden[i] > 0.0);
}

// One thread per parameter, summing over the batch. dlogits is already the mean's gradient (divided by count).
@compute @workgroup_size(WG)
fn parameter_gradients(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  let H = model.hidden;
  let C = model.classes;
  let count = batch.count;
  if (i >= model.total) { return; }
  var g = 0.0;
  if (i < model.b1) {
    let a = (i - model.w1) / H;
    let j = (i - model.w1) % H;
    for (var n = 0u; n < count; n++) { g += points[2u * n + a] * hidden[count * H + n * H + j]; }
  } else if (i < model.w2) {
    let j = i - model.b1;
    for (var n = 0u; n < count; n++) { g += hidden[count * H + n * H + j]; }
  } else if (i < model.b2) {
    let j = (i - model.w2) / C;
    let k = (i - model.w2) % C;
    for (var n = 0u; n < count; n++) { g += hidden[n * H + j] * dlogits[n * C + k]; }
  } else {
    let k = i - model.b2;
    for (var n = 0u; n < count; n++) { g += dlogits[n * C + k]; }
  }
  state[model.total + i] = g;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  let T = model.total;
  if (i >= T) { return; }
  let g = state[T + i];
  let m = model.beta1 * state[2u * T + i] + (1.0 - model.beta1) * g;
  let v = model.beta2 * state[3u * T + i] + (1.0 - model.beta2) * g * g;
  state[2u * T + i] = m;
  state[3u * T + i] = v;
  state[i] -= model.learning_rate * (m / model.correction1) / (sqrt(v / model.correction2) + model.epsilon);
}

// Accuracy of the logits this step was computed on (before the update, like the loss beside it).
@compute @workgroup_size(WG)
fn count_correct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = index(gid, nwg);
  let C = model.classes;
  if (n >= batch.count) { return; }
  var best = 0u;
  for (var k = 1u; k < C; k++) {
    if (logits[n * C + k] > logits[n * C + best]) { best = k; }
  }
  if (i32(best) == labels[n]) { atomicAdd(&metrics[2u * model.slot + 1u], 1u); }
}
