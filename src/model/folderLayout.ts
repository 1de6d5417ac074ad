/**
 * The files of a model folder in the Hugging Face layout (docs/ARCHITECTURE.md, "Exported model folder"),
 * relative to the folder: the exporter writes them, the worker and the export check read them.
 * Imports nothing, so the extension bundle takes these names without the model code around them.
 */

/** Hugging Face `config.json`: the architecture and its hyper-parameters. */
export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
/** float32 weights: the source the ONNX graphs are built from (not shipped in the VSIX). */
export const WEIGHTS_FILE = 'model.safetensors';

/** The graph precisions transformers.js picks a file by (its `dtype` option). */
export type OnnxDtype = 'fp32' | 'q8';

/** The file transformers.js loads for graph `stem` (its `model_file_name` option) at `dtype`. */
export function onnxFileOf(stem: string, dtype: OnnxDtype): string {
  return `onnx/${stem}${dtype === 'q8' ? '_quantized' : ''}.onnx`;
}

/** The completion graphs by dtype: `onnx/model.onnx`, `onnx/model_quantized.onnx`. */
export const ONNX_FILES: Readonly<Record<OnnxDtype, string>> = { fp32: onnxFileOf('model', 'fp32'), q8: onnxFileOf('model', 'q8') };

/** A separate attention graph (other exporters, older exports); ours derive it from the completion graph. */
export const ATTENTIONS_STEM = 'model_attentions';
export const ATTENTIONS_FILE = onnxFileOf(ATTENTIONS_STEM, 'fp32');
