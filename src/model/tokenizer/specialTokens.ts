/**
 * Special tokens occupy the first ids (ARCHITECTURE.md "Tokenizer"). `<|endoftext|>` doubles as bos, eos, pad
 * and unk and separates documents in the training data.
 */
export const END_OF_TEXT = '<|endoftext|>';
export const FIM_PREFIX = '<fim_prefix>';
export const FIM_MIDDLE = '<fim_middle>';
export const FIM_SUFFIX = '<fim_suffix>';

/** In id order: SPECIAL_TOKENS[i] has id i. */
export const SPECIAL_TOKENS: readonly string[] = [END_OF_TEXT, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX];

export const END_OF_TEXT_ID = 0;
export const FIM_PREFIX_ID = 1;
export const FIM_MIDDLE_ID = 2;
export const FIM_SUFFIX_ID = 3;

/** Id of the token for byte value b in a freshly trained model: specials, then the 256 bytes in byte order. */
export const FIRST_BYTE_ID = SPECIAL_TOKENS.length;
export const FIRST_MERGE_ID = FIRST_BYTE_ID + 256;
