/**
 * The attention panel's graph, derived in memory from the completion graph: the same bytes with the
 * softmax probabilities `decoder_attentions.{i}` [batch, heads, q, k] added to the graph's outputs.
 * The project's exporter names those tensors in every graph (src/model/export/gptGraph.ts), so a
 * model folder ships its weights once and the panel shows exactly what the completion graph computes
 * (int8 when completions run int8).
 *
 * A repeated protobuf field can be extended by appending to the message, so the new outputs
 * (GraphProto field 12, `ValueInfoProto`) go at the end of the graph's bytes (./onnxProto.ts).
 */
import { GRAPH_NODE, GRAPH_OUTPUT, LENGTH_DELIMITED, NODE_OUTPUT, VALUE_INFO_NAME, fields, graphField, lengthDelimited, strings, varint, withGraph } from './onnxProto';

export const ATTENTION_OUTPUT_PREFIX = 'decoder_attentions.';

const FLOAT = 1; // TensorProto.DataType.FLOAT

const utf8 = new TextEncoder();

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
  const graph = graphField(model, file);
  const layers = new Set<number>();
  const existing = new Set<string>();
  for (const f of fields(model, graph.start, graph.end, file)) {
    if (f.wire !== LENGTH_DELIMITED) continue;
    if (f.no === GRAPH_NODE) {
      for (const name of strings(model, f, NODE_OUTPUT, file)) {
        const m = /^decoder_attentions\.(\d+)$/.exec(name);
        if (m) layers.add(Number(m[1]));
      }
    } else if (f.no === GRAPH_OUTPUT) {
      existing.add(strings(model, f, VALUE_INFO_NAME, file)[0] ?? '');
    }
  }
  const outputs = Array.from({ length: layers.size }, (_, i) => `${ATTENTION_OUTPUT_PREFIX}${i}`);
  const missingLayer = outputs.findIndex((_, i) => !layers.has(i));
  if (missingLayer >= 0) throw new Error(`${file}: has ${[...layers].sort((a, b) => a - b).map((l) => ATTENTION_OUTPUT_PREFIX + l).join(', ')} but no ${ATTENTION_OUTPUT_PREFIX}${missingLayer}`);
  const added = outputs.filter((n) => !existing.has(n)).flatMap(attentionOutput);
  if (added.length === 0) return { bytes: model, outputs };

  const bytes = withGraph(model, graph, [model.subarray(graph.start, graph.end), added]);
  return { bytes, outputs };
}
