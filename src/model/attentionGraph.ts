/**
 * The attention panel's graph, derived in memory from the completion graph: the same bytes with the
 * softmax probabilities `decoder_attentions.{i}` [batch, heads, q, k] added to the graph's outputs.
 * The project's exporter names those tensors in every graph (src/model/export/gptGraph.ts), so a
 * model folder ships its weights once and the panel shows exactly what the completion graph computes
 * (int8 when completions run int8).
 *
 * An .onnx file is one protobuf `ModelProto` whose field 7 is the `GraphProto`; a repeated field can
 * be extended by appending to the message, so the new outputs (GraphProto field 12, `ValueInfoProto`)
 * go at the end of the graph's bytes and only the graph field's length prefix is re-encoded. No
 * protobuf library: this runs in the worker bundle.
 */

export const ATTENTION_OUTPUT_PREFIX = 'decoder_attentions.';

/** Field numbers from onnx/onnx.proto. */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_OUTPUT = 12;
const NODE_OUTPUT = 2;
const VALUE_INFO_NAME = 1;
const FLOAT = 1; // TensorProto.DataType.FLOAT

const LENGTH_DELIMITED = 2;

interface Field {
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
function fields(buf: Uint8Array, start: number, end: number, file: string): Field[] {
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

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return bytes;
}

function lengthDelimited(no: number, payload: readonly number[]): number[] {
  return [...varint(no * 8 + LENGTH_DELIMITED), ...varint(payload.length), ...payload];
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** ValueInfoProto { name; type { tensor_type { elem_type: FLOAT, shape [batch_size, heads, sequence_length, total_sequence_length] } } } */
function attentionOutput(name: string): number[] {
  const dim = (param: string) => lengthDelimited(1, lengthDelimited(2, [...utf8.encode(param)]));
  const shape = ['batch_size', 'heads', 'sequence_length', 'total_sequence_length'].flatMap(dim);
  const tensorType = [...varint(1 * 8), ...varint(FLOAT), ...lengthDelimited(2, shape)];
  return lengthDelimited(GRAPH_OUTPUT, [...lengthDelimited(VALUE_INFO_NAME, [...utf8.encode(name)]), ...lengthDelimited(2, lengthDelimited(1, tensorType))]);
}

interface DerivedAttentionGraph {
  /** The ModelProto with the attention outputs; `model` itself when it already had them all. */
  bytes: Uint8Array;
  /** `decoder_attentions.0` … in layer order; empty when the graph has no such tensors. */
  outputs: string[];
}

/**
 * `model` (the bytes of an .onnx file, named `file` in errors) with every node output named
 * `decoder_attentions.{i}` made a graph output. Layers must be numbered 0..n-1 without gaps.
 */
export function withAttentionOutputs(model: Uint8Array, file: string): DerivedAttentionGraph {
  const graph = fields(model, 0, model.length, file).find((f) => f.no === MODEL_GRAPH && f.wire === LENGTH_DELIMITED);
  if (!graph) throw new Error(`${file}: not an ONNX model (no graph)`);
  const layers = new Set<number>();
  const existing = new Set<string>();
  for (const f of fields(model, graph.start, graph.end, file)) {
    if (f.wire !== LENGTH_DELIMITED) continue;
    if (f.no === GRAPH_NODE) {
      for (const o of fields(model, f.start, f.end, file)) {
        if (o.no !== NODE_OUTPUT || o.wire !== LENGTH_DELIMITED) continue;
        const m = /^decoder_attentions\.(\d+)$/.exec(text.decode(model.subarray(o.start, o.end)));
        if (m) layers.add(Number(m[1]));
      }
    } else if (f.no === GRAPH_OUTPUT) {
      const name = fields(model, f.start, f.end, file).find((v) => v.no === VALUE_INFO_NAME && v.wire === LENGTH_DELIMITED);
      if (name) existing.add(text.decode(model.subarray(name.start, name.end)));
    }
  }
  const outputs = Array.from({ length: layers.size }, (_, i) => `${ATTENTION_OUTPUT_PREFIX}${i}`);
  const missingLayer = outputs.findIndex((_, i) => !layers.has(i));
  if (missingLayer >= 0) throw new Error(`${file}: has ${[...layers].sort((a, b) => a - b).map((l) => ATTENTION_OUTPUT_PREFIX + l).join(', ')} but no ${ATTENTION_OUTPUT_PREFIX}${missingLayer}`);
  const added = outputs.filter((n) => !existing.has(n)).flatMap(attentionOutput);
  if (added.length === 0) return { bytes: model, outputs };

  const graphLength = graph.end - graph.start + added.length;
  const head = [...varint(MODEL_GRAPH * 8 + LENGTH_DELIMITED), ...varint(graphLength)];
  const bytes = new Uint8Array(graph.tagAt + head.length + graphLength + (model.length - graph.end));
  let at = 0;
  const put = (part: ArrayLike<number>) => {
    bytes.set(part, at);
    at += part.length;
  };
  put(model.subarray(0, graph.tagAt));
  put(head);
  put(model.subarray(graph.start, graph.end));
  put(added);
  put(model.subarray(graph.end));
  return { bytes, outputs };
}
