/**
 * Control tokens are never generated. A tokenizer's special tokens other than end-of-text (`<fim_prefix>`,
 * `<fim_suffix>`, `<fim_middle>`, ...) structure a prompt; they are not text a completion can contain.
 * A model trained on fill-in-the-middle examples learns to write `<fim_suffix>` where an example's prefix
 * ended, often in the middle of an identifier; in a completion that token decodes to nothing and the
 * model goes on as if the suffix followed (a line break, so an empty suggestion). Their logits become
 * -Infinity before a token is picked; end-of-text stays, since it is how a completion ends.
 */

/**
 * The ids whose text is empty (special tokens decode to nothing) and that are not end-of-text. Byte tokens
 * of a character never decode to an empty string, so only special tokens qualify.
 */
export function controlTokenIds(tokenTexts: readonly string[], eosTokenIds: readonly number[]): Int32Array {
  const eos = new Set(eosTokenIds);
  const found: number[] = [];
  tokenTexts.forEach((text, id) => {
    if (text === '' && !eos.has(id)) found.push(id);
  });
  return Int32Array.from(found);
}

/** Sets the control tokens' logits in `row` to -Infinity. */
export function suppressControlTokens(row: Float32Array, ids: Int32Array): void {
  for (const id of ids) if (id < row.length) row[id] = -Infinity;
}
