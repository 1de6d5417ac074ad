import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../../validation/checks';
import { TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../folderLayout';
import type { BpeModel } from './bpeModel';
import { BpeTokenizer } from './bpeTokenizer';
import { PRE_TOKENIZER_PATTERN } from './preTokenize';
import { END_OF_TEXT, SPECIAL_TOKENS } from './specialTokens';


interface TokenizerFileOptions {
  /** `model_max_length` in tokenizer_config.json: the model's context length (n_positions). */
  modelMaxLength?: number;
}

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

function addedTokens(model: BpeModel): AddedTokenJson[] {
  return model.specialIds.map((id) => ({
    id,
    content: model.vocab[id],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/** The tokenizer.json object (HF tokenizers serialization, version 1.0). */
function tokenizerJson(model: BpeModel): object {
  const vocab: Record<string, number> = {};
  model.vocab.forEach((token, id) => (vocab[token] = id));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(model),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PRE_TOKENIZER_PATTERN }, behavior: 'Isolated', invert: false },
        // use_regex false: the Split above already did the splitting; this only maps bytes to the GPT-2 alphabet.
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      // false: always apply merges, even when a whole word is itself in the vocabulary (our encoder does too).
      ignore_merges: false,
      vocab,
      merges: model.merges.map(([a, b]) => [model.vocab[a], model.vocab[b]]),
    },
  };
}

/** The tokenizer_config.json object: GPT-2 class, `<|endoftext|>` as bos/eos/unk/pad, no automatic bos. */
function tokenizerConfigJson(model: BpeModel, options: TokenizerFileOptions = {}): object {
  const addedTokensDecoder: Record<string, Omit<AddedTokenJson, 'id'>> = {};
  for (const { id, ...token } of addedTokens(model)) addedTokensDecoder[String(id)] = token;
  return {
    tokenizer_class: 'GPT2Tokenizer',
    bos_token: END_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: END_OF_TEXT,
    pad_token: END_OF_TEXT,
    additional_special_tokens: SPECIAL_TOKENS.filter((t) => t !== END_OF_TEXT),
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    // transformers.js defaults this to true, which would rewrite " ." to "." in decoded code.
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 1024,
    added_tokens_decoder: addedTokensDecoder,
  };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (created if needed). */
export function writeTokenizerFiles(dir: string, model: BpeModel, options: TokenizerFileOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, TOKENIZER_FILE), JSON.stringify(tokenizerJson(model), null, 2) + '\n');
  writeFileSync(join(dir, TOKENIZER_CONFIG_FILE), JSON.stringify(tokenizerConfigJson(model, options), null, 2) + '\n');
}

function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read tokenizer file (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(value)) throw new Error(`${file}: expected a JSON object`);
  return value;
}

/** Reads the BpeModel from a tokenizer.json written by writeTokenizerFiles. Errors name the file and field. */
export function readTokenizerModel(file: string): BpeModel {
  const json = readJsonObject(file);
  const fail = (problem: string): never => {
    throw new Error(`${file}: ${problem}`);
  };
  const model = json.model;
  if (!isRecord(model) || model.type !== 'BPE') fail('model.type must be "BPE"');
  const { vocab: vocabJson, merges: mergesJson } = model as Record<string, unknown>;
  if (!isRecord(vocabJson)) return fail('model.vocab must be an object of token -> id');
  if (!Array.isArray(mergesJson)) return fail('model.merges must be an array');

  const pre = json.pre_tokenizer;
  const steps = isRecord(pre) && Array.isArray(pre.pretokenizers) ? (pre.pretokenizers as unknown[]) : [];
  const split = steps[0];
  const regex = isRecord(split) && isRecord(split.pattern) ? split.pattern.Regex : undefined;
  if (regex !== PRE_TOKENIZER_PATTERN) {
    fail(`pre_tokenizer must be Sequence[Split(Regex ${JSON.stringify(PRE_TOKENIZER_PATTERN)}), ByteLevel]; this encoder implements no other`);
  }

  const entries = Object.entries(vocabJson);
  const vocab = new Array<string>(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length || vocab[id] !== undefined) {
      fail(`model.vocab: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids must be 0..${entries.length - 1}, each used once`);
    }
    vocab[id as number] = token;
  }
  const tokenIds = new Map(vocab.map((token, id) => [token, id]));

  const merges = mergesJson.map((merge, rank): [number, number] => {
    const parts = typeof merge === 'string' ? merge.split(' ') : merge;
    if (!Array.isArray(parts) || parts.length !== 2) return fail(`model.merges[${rank}] must be a pair of tokens`);
    const [a, b] = parts.map((token) => (typeof token === 'string' ? tokenIds.get(token) : undefined));
    if (a === undefined || b === undefined) return fail(`model.merges[${rank}] ${JSON.stringify(merge)} names a token missing from model.vocab`);
    return [a, b];
  });

  const added = Array.isArray(json.added_tokens) ? json.added_tokens : fail('added_tokens must be an array');
  const specialIds = added.map((token, i) => {
    if (!isRecord(token) || typeof token.id !== 'number' || typeof token.content !== 'string') {
      return fail(`added_tokens[${i}] must have a numeric id and a string content`);
    }
    if (vocab[token.id] !== token.content) fail(`added_tokens[${i}] ${JSON.stringify(token.content)} does not match model.vocab id ${token.id}`);
    return token.id;
  });
  return { vocab, merges, specialIds };
}

/** Loads a tokenizer folder (tokenizer.json + tokenizer_config.json). Errors name the file and the problem. */
export function readTokenizerFiles(dir: string): BpeTokenizer {
  const configFile = join(dir, TOKENIZER_CONFIG_FILE);
  const config = readJsonObject(configFile);
  if (config.clean_up_tokenization_spaces !== false) {
    throw new Error(`${configFile}: clean_up_tokenization_spaces must be false, or transformers.js would alter decoded code`);
  }
  const file = join(dir, TOKENIZER_FILE);
  const model = readTokenizerModel(file);
  try {
    return new BpeTokenizer(model);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
