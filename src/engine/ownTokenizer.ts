/**
 * The model folder's tokenizer in the project's own byte-level BPE code (src/model/tokenizer), used by
 * the worker instead of transformers.js's when both give the same ids. The worker encodes every
 * prompt and every document the copy model indexes (src/engine/cacheStore.ts) on its one JS thread, so
 * a request that arrives meanwhile waits; ours is several times faster (a 1,500-character prompt:
 * 1.9 ms against 6.1 ms on first sight, 0.1-0.3 ms against 1.7-2.7 ms once its words are cached).
 * transformers.js stays the tokenizer of any folder ours does not read (another pre-tokenizer, another
 * model type) or that encodes a probe text differently.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { BpeTokenizer, readTokenizerFiles } from '../model/tokenizer';

/** Code, whitespace runs, CRLF, non-ASCII and an emoji: the cases a byte-level BPE's pre-tokenizer splits. */
const PROBE = 'export function f(a, b) {\n\treturn a  +  b; // é 中文 😀\r\n}\n\n    x.y = `${z}`;\u00a0 \t\n';

/**
 * Our tokenizer for `dir` when it reads the folder's files, has a text for every id the model can
 * generate (`vocabSize`: a model may have more ids than its tokenizer, as the bench's random models
 * do), and encodes and decodes the probe (with each of the tokenizer's special tokens inside it)
 * exactly as `reference` does; null otherwise.
 */
export function sameTokenizer(dir: string, vocabSize: number, reference: Pick<PreTrainedTokenizer, 'encode' | 'decode'>): BpeTokenizer | null {
  let ours: BpeTokenizer;
  try {
    ours = readTokenizerFiles(dir);
  } catch {
    return null;
  }
  if (ours.model.vocab.length < vocabSize) return null;
  const specials = ours.model.specialIds.map((id) => ours.model.vocab[id]);
  const probe = [PROBE, ...specials.map((s) => `${s}${PROBE}`)].join('');
  const ids = ours.encode(probe);
  const theirs = reference.encode(probe);
  if (ids.length !== theirs.length || ids.some((id, i) => id !== theirs[i])) return null;
  if (ours.decode(ids, { skipSpecialTokens: true }) !== reference.decode(ids, { skip_special_tokens: true })) return null;
  return ours;
}
