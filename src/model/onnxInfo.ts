/**
 * Reads what a model folder check needs from an ONNX file — IR version, opsets, graph inputs
 * and outputs with their shapes — without loading the weights or depending on a protobuf library.
 *
 * An .onnx file is one protobuf `ModelProto` (onnx/onnx.proto). We walk its top-level fields and
 * the fields of its `graph` with small reads, checking that every length-delimited field fits in
 * the file: a truncated or non-ONNX file fails here with a message naming it, instead of inside
 * ONNX Runtime. Only inputs, outputs and opsets are decoded; nodes and weights are skipped.
 */
import * as fs from 'node:fs';

type OnnxDim = number | string; // fixed size, or symbolic name ("batch_size")

export interface OnnxTensorInfo {
  name: string;
  /** onnx.TensorProto.DataType: 1 float32, 7 int64, ... */
  elemType: number;
  dims: OnnxDim[];
}

export interface OnnxModelInfo {
  file: string;
  bytes: number;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  nodes: number;
  initializers: number;
}

/** Field numbers from onnx.proto. */
const MODEL = { irVersion: 1, graph: 7, opsetImport: 8 };
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 };
/** Names for messages. */
const FIELD_NAMES: Record<string, Record<number, string>> = {
  model: { 1: 'ir_version', 2: 'producer_name', 7: 'graph', 8: 'opset_import' },
  graph: { 1: 'a node', 5: 'an initializer (weights)', 11: 'an input', 12: 'an output' },
};

interface Field {
  no: number;
  wire: number;
  /** Varint value (wire type 0). */
  value: number;
  /** Position and length of the payload (wire type 2). */
  start: number;
  length: number;
}

type Bytes = (pos: number, len: number) => Uint8Array;

class OnnxFormatError extends Error {}

/** Decodes a varint at `pos`; numbers above 2^53 lose precision, which no size here reaches. */
function varint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new OnnxFormatError('truncated');
    const b = buf[pos + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, pos + i + 1];
  }
  throw new OnnxFormatError('invalid varint');
}

/** Calls `onField` for each field of the message in [start, end), checking each fits. */
function walk(bytes: Bytes, start: number, end: number, what: string, onField: (f: Field) => void): void {
  let pos = start;
  while (pos < end) {
    const head = bytes(pos, Math.min(20, end - pos));
    const fail = (problem: string): never => {
      throw new OnnxFormatError(`${problem} in ${what} at byte ${pos}`);
    };
    let tag: number;
    let p: number;
    try {
      [tag, p] = varint(head, 0);
    } catch {
      return fail('unreadable field tag');
    }
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no === 0) fail('field number 0 (not protobuf)');
    const field: Field = { no, wire, value: 0, start: 0, length: 0 };
    if (wire === 0) {
      try {
        [field.value, p] = varint(head, p);
      } catch {
        fail('unreadable number');
      }
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      let len: number;
      try {
        [len, p] = varint(head, p);
      } catch {
        return fail('unreadable length');
      }
      field.start = pos + p;
      field.length = len;
      p += len;
    } else fail(`invalid protobuf wire type ${wire}`);
    if (pos + p > end) {
      const name = FIELD_NAMES[what]?.[no] ?? `field ${no}`;
      throw new OnnxFormatError(`${name} of the ${what} at byte ${pos} needs ${pos + p - end} more bytes than the file has (truncated?)`);
    }
    onField(field);
    pos += p;
  }
}

function utf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

/** ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 { dim_value = 1 | dim_param = 2 } } } } } */
function parseValueInfo(msg: Uint8Array): OnnxTensorInfo {
  const mem: Bytes = (pos, len) => msg.subarray(pos, pos + len);
  const info: OnnxTensorInfo = { name: '', elemType: 0, dims: [] };
  walk(mem, 0, msg.length, 'value info', (f) => {
    if (f.no === 1 && f.wire === 2) info.name = utf8(mem(f.start, f.length));
    if (f.no !== 2 || f.wire !== 2) return;
    walk(mem, f.start, f.start + f.length, 'type', (t) => {
      if (t.no !== 1 || t.wire !== 2) return; // tensor_type
      walk(mem, t.start, t.start + t.length, 'tensor type', (tt) => {
        if (tt.no === 1 && tt.wire === 0) info.elemType = tt.value;
        if (tt.no !== 2 || tt.wire !== 2) return; // shape
        walk(mem, tt.start, tt.start + tt.length, 'shape', (s) => {
          if (s.no !== 1 || s.wire !== 2) return; // dim
          let dim: OnnxDim = '?';
          walk(mem, s.start, s.start + s.length, 'dim', (d) => {
            if (d.no === 1 && d.wire === 0) dim = d.value;
            if (d.no === 2 && d.wire === 2) dim = utf8(mem(d.start, d.length));
          });
          info.dims.push(dim);
        });
      });
    });
  });
  return info;
}

/** Throws `Error("<file>: <problem>")` when the file is missing, truncated or not an ONNX model. */
export function readOnnxInfo(file: string): OnnxModelInfo {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(`${file}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) throw new OnnxFormatError('file is empty');
    const bytes: Bytes = (pos, len) => {
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, pos);
      return buf;
    };
    const info: OnnxModelInfo = { file, bytes: size, irVersion: 0, opsets: [], inputs: [], outputs: [], nodes: 0, initializers: 0 };
    let graph: Field | undefined;
    walk(bytes, 0, size, 'model', (f) => {
      if (f.no === MODEL.irVersion && f.wire === 0) info.irVersion = f.value;
      if (f.no === MODEL.graph && f.wire === 2) graph = f;
      if (f.no === MODEL.opsetImport && f.wire === 2) {
        const msg = bytes(f.start, f.length);
        const opset = { domain: '', version: 0 };
        walk((p, l) => msg.subarray(p, p + l), 0, msg.length, 'opset', (o) => {
          if (o.no === 1 && o.wire === 2) opset.domain = utf8(msg.subarray(o.start, o.start + o.length));
          if (o.no === 2 && o.wire === 0) opset.version = o.value;
        });
        info.opsets.push(opset);
      }
    });
    if (!info.irVersion || !graph) throw new OnnxFormatError(`no ${info.irVersion ? 'graph' : 'ir_version'} field: not an ONNX model`);
    walk(bytes, graph.start, graph.start + graph.length, 'graph', (f) => {
      if (f.wire !== 2) return;
      if (f.no === GRAPH.node) info.nodes++;
      else if (f.no === GRAPH.initializer) info.initializers++;
      else if (f.no === GRAPH.input) info.inputs.push(parseValueInfo(bytes(f.start, f.length)));
      else if (f.no === GRAPH.output) info.outputs.push(parseValueInfo(bytes(f.start, f.length)));
    });
    if (info.nodes === 0 || info.outputs.length === 0) throw new OnnxFormatError('graph has no nodes or no outputs: not a usable ONNX model');
    return info;
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new Error(`${file}: not a readable ONNX model: ${e.message}`);
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

export function formatDims(dims: readonly OnnxDim[]): string {
  return `[${dims.join(', ')}]`;
}
