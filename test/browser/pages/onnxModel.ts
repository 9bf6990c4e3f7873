/**
 * A tiny ONNX model written as protobuf bytes, so that the ONNX Runtime test needs no binary file: y = MatMul(x, w)
 * with x: float[rows, inner] the input, w: float[inner, cols] an initializer, y: float[rows, cols] the output.
 * Field numbers from onnx/onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, TypeProto).
 */

/** Protobuf writer: varints, and fields of wire type 0 (varint) and 2 (length-delimited). */
class Writer {
  private readonly bytes: number[] = [];
  varint(value: number): this {
    let v = value;
    while (v > 0x7f) {
      this.bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
    return this;
  }
  int(field: number, value: number): this {
    return this.varint(field * 8).varint(value);
  }
  raw(field: number, data: Uint8Array): this {
    this.varint(field * 8 + 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  text(field: number, value: string): this {
    return this.raw(field, new TextEncoder().encode(value));
  }
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.raw(field, inner.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

/** ValueInfoProto of a float tensor with a static shape. */
function valueInfo(w: Writer, name: string, dims: number[]): void {
  w.text(1, name).message(2, (type) => type.message(1, (tensor) => tensor.int(1, FLOAT).message(2, (shape) => dims.forEach((d) => shape.message(1, (dim) => dim.int(1, d))))));
}

export function matMulModel(rows: number, inner: number, cols: number, weights: Float32Array): Uint8Array {
  return new Writer()
    .int(1, 8) // ir_version
    .text(2, 'xentropy-test') // producer_name
    .message(7, (graph) => {
      graph.message(1, (node) => node.text(1, 'x').text(1, 'w').text(2, 'y').text(3, 'matmul').text(4, 'MatMul'));
      graph.text(2, 'logits');
      graph.message(5, (tensor) => {
        tensor.int(1, inner).int(1, cols).int(2, FLOAT).text(8, 'w');
        tensor.raw(9, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)); // raw_data, little-endian
      });
      graph.message(11, (input) => valueInfo(input, 'x', [rows, inner]));
      graph.message(12, (output) => valueInfo(output, 'y', [rows, cols]));
    })
    .message(8, (opset) => opset.text(1, '').int(2, 13)) // opset_import: default domain, version 13
    .finish();
}
