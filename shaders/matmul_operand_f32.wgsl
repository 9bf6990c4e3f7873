// matmul_operand_f32.wgsl: an f32 operand of the linear cross-entropy matmuls (linear_cross_entropy_matmul*.wgsl):
// {{NAME}}_at(i) is element i of the binding. The host prepends one operand snippet for each of a, b and bias, with
// the name and binding number filled in (src/shaders.ts); this one leaves the f32 kernels' loads as they were.
@group(0) @binding({{BINDING}}) var<storage, read> {{NAME}}: array<f32>;
fn {{NAME}}_at(i: u32) -> f32 { return {{NAME}}[i]; }
