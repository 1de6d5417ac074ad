/**
 * Just enough protobuf to edit an .onnx file's graph in memory (the worker derives the graphs it runs
 * from the one the folder ships: ./attentionGraph.ts, ./decodeGraph.ts). No protobuf library: this runs
 * in the worker bundle. An .onnx file is one `ModelProto` whose field 7 is the `GraphProto`.
 */

/** Field numbers from onnx/onnx.proto. */
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_OUTPUT = 12;
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const VALUE_INFO_NAME = 1;

export const LENGTH_DELIMITED = 2;

export interface Field {
  no: number;
  wire: number;
  /** Where the field's tag starts, where its payload starts and where the field ends. */
  tagAt: number;
  start: number;
  end: number;
}

function readVarint(buf: Uint8Array, pos: number, file: string): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new Error(`${file}: not a readable ONNX model (truncated varint at byte ${pos})`);
    const b = buf[pos + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, pos + i + 1];
  }
  throw new Error(`${file}: not a readable ONNX model (invalid varint at byte ${pos})`);
}

/** The fields of the message in buf[start, end), each checked to fit. */
export function fields(buf: Uint8Array, start: number, end: number, file: string): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const [tag, p0] = readVarint(buf, pos, file);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    let p = p0;
    let payload = p0;
    if (wire === 0) p = readVarint(buf, p0, file)[1];
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === LENGTH_DELIMITED) {
      const [len, after] = readVarint(buf, p0, file);
      payload = after;
      p = after + len;
    } else throw new Error(`${file}: not a readable ONNX model (wire type ${wire} at byte ${pos})`);
    if (no === 0 || p > end) throw new Error(`${file}: not a readable ONNX model (field at byte ${pos} does not fit; truncated?)`);
    out.push({ no, wire, tagAt: pos, start: payload, end: p });
    pos = p;
  }
  return out;
}

export function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return bytes;
}

export function lengthDelimited(no: number, payload: readonly number[]): number[] {
  return [...varint(no * 8 + LENGTH_DELIMITED), ...varint(payload.length), ...payload];
}

const text = new TextDecoder();

/** The string fields numbered `no` of the message `f`, in order. */
export function strings(buf: Uint8Array, f: Field, no: number, file: string): string[] {
  return fields(buf, f.start, f.end, file)
    .filter((s) => s.no === no && s.wire === LENGTH_DELIMITED)
    .map((s) => text.decode(buf.subarray(s.start, s.end)));
}

/** The model's graph field; throws when there is none. */
export function graphField(model: Uint8Array, file: string): Field {
  const graph = fields(model, 0, model.length, file).find((f) => f.no === MODEL_GRAPH && f.wire === LENGTH_DELIMITED);
  if (!graph) throw new Error(`${file}: not an ONNX model (no graph)`);
  return graph;
}

/** `model` with its graph's payload replaced by `parts`, concatenated (the model's other fields kept as they are). */
export function withGraph(model: Uint8Array, graph: Field, parts: readonly ArrayLike<number>[]): Uint8Array {
  const graphLength = parts.reduce((n, p) => n + p.length, 0);
  const head = [...varint(MODEL_GRAPH * 8 + LENGTH_DELIMITED), ...varint(graphLength)];
  const bytes = new Uint8Array(graph.tagAt + head.length + graphLength + (model.length - graph.end));
  let at = 0;
  for (const part of [model.subarray(0, graph.tagAt), head, ...parts, model.subarray(graph.end)]) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
