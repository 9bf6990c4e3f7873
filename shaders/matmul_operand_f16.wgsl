// matmul_operand_f16.wgsl: an f16 operand of the linear cross-entropy matmuls on a device with shader-f16:
// array<f16>, element i widened to f32 (exact); every product and sum stays f32. Contract: matmul_operand_f32.wgsl.
enable f16;

@group(0) @binding({{BINDING}}) var<storage, read> {{NAME}}: array<f16>;
fn {{NAME}}_at(i: u32) -> f32 { return f32({{NAME}}[i]); }
