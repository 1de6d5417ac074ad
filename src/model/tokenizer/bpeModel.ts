/**
 * The learned tokenizer: a vocabulary and the merges that build it. This is what the trainer produces, what
 * tokenizer.json stores, and what BpeTokenizer encodes with.
 */
export interface BpeModel {
  /**
   * Token strings indexed by id. Special tokens are stored as their literal text (`<|endoftext|>`); every
   * other token is its bytes in the GPT-2 byte-level alphabet (`Ġreturn` for ` return`).
   */
  readonly vocab: readonly string[];
  /** Merges in priority order (rank = index), as pairs of token ids; the result is the token `vocab[a] + vocab[b]`. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
  /** Ids of the special tokens (added tokens). Their text is matched before pre-tokenization by `encode`. */
  readonly specialIds: readonly number[];
}
