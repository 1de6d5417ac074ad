/** Byte-level BPE tokenizer: training, encoding/decoding, and the Hugging Face tokenizer files. */
export type { BpeModel } from './bpeModel';
export { BpeTokenizer } from './bpeTokenizer';
export { trainBpe, trainBpeOnWordCounts, countWords } from './bpeTrainer';
export { preTokenize } from './preTokenize';
export * from './specialTokens';
export { writeTokenizerFiles, readTokenizerFiles, readTokenizerModel } from './hfFiles';
export { TOKENIZER_FILE, TOKENIZER_CONFIG_FILE } from '../folderLayout';
