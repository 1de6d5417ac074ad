/**
 * GPT-2 model hyper-parameters, in the Hugging Face `config.json` vocabulary
 * (`model_type: "gpt2"`), so the same file is read by transformers.js and by our own code.
 */
export interface GptConfig {
  vocab_size: number;
  /** Maximum sequence length (learned position embeddings). */
  n_positions: number;
  /** Width of the residual stream. */
  n_embd: number;
  n_layer: number;
  n_head: number;
  layer_norm_epsilon: number;
  bos_token_id: number;
  eos_token_id: number;
}

export const DEFAULT_LAYER_NORM_EPSILON = 1e-5;

/** Throws with a message naming `source` when the config cannot describe a GPT-2 model. */
export function validateConfig(config: GptConfig, source = 'config.json'): GptConfig {
  const ints: (keyof GptConfig)[] = ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'];
  for (const key of ints) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new Error(`${source}: "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  if (config.n_embd % config.n_head !== 0) {
    throw new Error(`${source}: n_embd (${config.n_embd}) must be divisible by n_head (${config.n_head})`);
  }
  if (!(config.layer_norm_epsilon > 0)) {
    throw new Error(`${source}: "layer_norm_epsilon" must be a positive number`);
  }
  return config;
}

/** Parses a Hugging Face `config.json` object into a GptConfig, filling GPT-2 defaults. */
export function configFromJson(json: Record<string, unknown>, source = 'config.json'): GptConfig {
  if (json.model_type !== undefined && json.model_type !== 'gpt2') {
    throw new Error(`${source}: model_type is "${String(json.model_type)}", expected "gpt2"`);
  }
  const num = (key: string, fallback?: number): number => {
    const v = json[key];
    if (v === undefined && fallback !== undefined) return fallback;
    return v as number;
  };
  return validateConfig(
    {
      vocab_size: num('vocab_size'),
      n_positions: num('n_positions'),
      n_embd: num('n_embd'),
      n_layer: num('n_layer'),
      n_head: num('n_head'),
      layer_norm_epsilon: num('layer_norm_epsilon', DEFAULT_LAYER_NORM_EPSILON),
      bos_token_id: num('bos_token_id', 0),
      eos_token_id: num('eos_token_id', 0),
    },
    source,
  );
}

/** Number of trainable parameters (LM head tied to the token embedding). */
export function parameterCount(c: GptConfig): number {
  const C = c.n_embd;
  const perLayer = 2 * C /* ln_1 */ + C * 3 * C + 3 * C + C * C + C + 2 * C /* ln_2 */ + C * 4 * C + 4 * C + 4 * C * C + C;
  return c.vocab_size * C + c.n_positions * C + c.n_layer * perLayer + 2 * C;
}
