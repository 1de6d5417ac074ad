/**
 * A small helper to write ONNX graphs with the generated protobuf types of `onnx-proto`:
 * nodes get unique output names, tensors become initializers (float/int data as raw_data,
 * little-endian, as the ONNX spec requires), inputs and outputs carry symbolic dims.
 */
import { onnx } from 'onnx-proto';

export const DataType = onnx.TensorProto.DataType;
export type DataType = onnx.TensorProto.DataType;

/** A dimension: a fixed size or a symbolic name such as "batch_size". */
type Dim = number | string;

type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: A.INT, i: value };
  if (typeof value === 'string') return { name, type: A.STRING, s: Buffer.from(value, 'utf8') };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  if ('float' in value) return { name, type: A.FLOAT, f: value.float };
  return { name, type: A.FLOATS, floats: value.floats };
}

/** Float attributes must be marked, since a JS number cannot say whether it is an int. */
export const f32 = (x: number): { float: number } => ({ float: x });

function bytesOf(data: Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array): Uint8Array {
  // Typed arrays are little-endian on every platform Node runs on, which is what raw_data wants.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;

  /** Adds a node; returns its output names (`outputs` of them, named after `hint`). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1, hint = opType, domain = ''): string[] {
    const id = this.counter++;
    const names = Array.from({ length: outputs }, (_, i) => `/${hint}_${id}${outputs > 1 ? `_${i}` : ''}`);
    this.nodes.push({
      opType,
      domain,
      name: `${hint}_${id}`,
      input: inputs,
      output: names,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  /** Single-output shorthand for `op`. */
  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType): string {
    return this.op(opType, inputs, attrs, 1, hint)[0];
  }

  /** Makes a node write to a chosen name (a graph output). */
  rename(from: string, to: string): void {
    for (const n of this.nodes) n.output = n.output!.map((o) => (o === from ? to : o));
  }

  tensor(name: string, dataType: DataType, dims: number[], data: Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`onnx: initializer ${name} has ${data.length} values, dims [${dims}] need ${count}`);
    this.initializers.push({ name, dataType, dims, rawData: bytesOf(data) });
    return name;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    return this.tensor(name, DataType.FLOAT, dims, data);
  }

  /** An int64 constant (shapes, axes, split sizes). */
  int64s(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.tensor(name, DataType.INT64, dims, BigInt64Array.from(values.map(BigInt)));
  }

  /** The initializer `name`, made by `make` the first time it is asked for (constants shared by several nodes). */
  shared(name: string, make: (name: string) => string): string {
    return this.initializers.some((t) => t.name === name) ? name : make(name);
  }

  scalar(name: string, value: number): string {
    return this.tensor(name, DataType.FLOAT, [], Float32Array.of(value));
  }

  private valueInfo(name: string, elemType: DataType, dims: Dim[]): onnx.IValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    };
  }

  input(name: string, elemType: DataType, dims: Dim[]): string {
    this.inputs.push(this.valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataType, dims: Dim[]): string {
    this.outputs.push(this.valueInfo(name, elemType, dims));
    return name;
  }

  /** The ModelProto, serialised. */
  encode({ name, opset, docString }: { name: string; opset: number; docString?: string }): Uint8Array {
    const model = onnx.ModelProto.create({
      // IR 8 goes with opsets up to 18, IR 9 with 19-20 (onnx/docs/Versioning.md).
      irVersion: opset <= 18 ? 8 : 9,
      producerName: 'local-gpt',
      producerVersion: '1',
      docString: docString ?? '',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
