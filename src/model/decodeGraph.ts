/**
 * The engine's decode graph, derived in memory from the completion graph: the same graph without its
 * `present.*` outputs and the nodes only they need. ONNX Runtime runs every node of a session whatever
 * outputs a run fetches (microsoft/onnxruntime#16483), so in the file as shipped (which transformers.js
 * loads, and which must return the whole cache) each decode step also concatenates past and new
 * keys/values, a copy of the whole cache per layer. The project's graphs attend over past and new apart
 * (src/model/export/gptGraph.ts), so without those outputs nothing copies the cache; the engine keeps
 * it in its own buffers (src/engine/ownedKvCache.ts) and fetches only `new_key_values.*`.
 */
import { GRAPH_NODE, GRAPH_OUTPUT, LENGTH_DELIMITED, NODE_INPUT, NODE_OUTPUT, VALUE_INFO_NAME, fields, graphField, strings, withGraph, type Field } from './onnxProto';

/** NodeProto.attribute, and AttributeProto.g / .graphs: a node that holds subgraphs (If, Loop, Scan). */
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;

const PRESENT = /^present\.\d+\.(key|value)$/;

export interface DerivedDecodeGraph {
  bytes: Uint8Array;
  /** Nodes left out because only the removed outputs needed them. */
  removedNodes: number;
}

/**
 * `model` (the bytes of an .onnx file, named `file` in errors) without its `present.*` outputs and
 * without every node none of the remaining outputs depends on. Nodes are read in file order, which
 * ONNX requires to be topological. Null when the graph has no `present.*` output, or has a node
 * holding subgraphs (If, Loop, Scan), whose reads of outer names this does not follow.
 */
export function withoutPresentOutputs(model: Uint8Array, file: string): DerivedDecodeGraph | null {
  const graph = graphField(model, file);
  const parts = fields(model, graph.start, graph.end, file);
  const kept = new Set<string>();
  const removedOutputs = new Set<Field>();
  for (const f of parts) {
    if (f.no !== GRAPH_OUTPUT || f.wire !== LENGTH_DELIMITED) continue;
    const name = strings(model, f, VALUE_INFO_NAME, file)[0] ?? '';
    if (PRESENT.test(name)) removedOutputs.add(f);
    else kept.add(name);
  }
  if (removedOutputs.size === 0) return null;

  // Backwards from the outputs kept: a node is live when something live reads one of its outputs.
  const nodes = parts.filter((f) => f.no === GRAPH_NODE && f.wire === LENGTH_DELIMITED);
  if (nodes.some((n) => holdsSubgraph(model, n, file))) return null;
  const needed = new Set(kept);
  const live = new Set<Field>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!strings(model, nodes[i], NODE_OUTPUT, file).some((o) => needed.has(o))) continue;
    live.add(nodes[i]);
    for (const input of strings(model, nodes[i], NODE_INPUT, file)) needed.add(input);
  }
  const dropped = (f: Field): boolean => removedOutputs.has(f) || (f.no === GRAPH_NODE && f.wire === LENGTH_DELIMITED && !live.has(f));
  const bytes = withGraph(
    model,
    graph,
    parts.filter((f) => !dropped(f)).map((f) => model.subarray(f.tagAt, f.end)),
  );
  return { bytes, removedNodes: nodes.length - live.size };
}

function holdsSubgraph(model: Uint8Array, node: Field, file: string): boolean {
  return fields(model, node.start, node.end, file).some(
    (a) => a.no === NODE_ATTRIBUTE && a.wire === LENGTH_DELIMITED && fields(model, a.start, a.end, file).some((g) => g.no === ATTRIBUTE_GRAPH || g.no === ATTRIBUTE_GRAPHS),
  );
}
