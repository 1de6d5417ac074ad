/**
 * The window of "Explain Attention for the last completion" when the worker still holds that
 * completion's exact input: the prompt ids the model saw (header line, fill-in-the-middle tokens and
 * suffix included, after the window fit and token healing) followed by the ids it generated. Nothing is
 * re-tokenized; this module only places those tokens on the document so the editor can highlight them.
 *
 * - Prompt tokens: the prompt's end (prefix-only and spm prompts), or its part before `<fim_suffix>` when it
 *   ends with `<fim_middle>` (psm), ends with the document
 *   text before the completion (minus the characters a healed token took back, which the first generated
 *   token spells again). Walking both backwards from there, character by character, maps that text onto
 *   document offsets; a `\r` of a CRLF document that the prompt's `\n` stands for is skipped. Tokens left
 *   over (the header line, FIM tokens, the suffix) get an empty range: shown in the panel, not in the editor.
 * - Generated tokens: placed forward from the completion's offset over the accepted text (minus the healed
 *   characters before it) when it is in the document, the same way; otherwise, and past what was accepted,
 *   an empty range at the offset (ghost text is not part of the document). Their text is the model's own
 *   (`\n`, never a `\r` the editor added).
 */
import type { TokenPiece } from './layout';
import type { AttentionToken } from './types';

/** The worker's last completion, exactly as the model ran it. */
export interface ExactCompletion {
  /** Id of the `complete` request that produced it. */
  resultId: number;
  promptIds: number[];
  generatedIds: number[];
  /** Characters a healed token took back from the prompt ('' when none). */
  healed: string;
  /** The graph the completion ran on, relative to the model folder (`onnx/model_quantized.onnx`, ...). */
  completionGraph: string;
}

export interface ExactPlacement {
  /** Text before the completion: the document [baseOffset, completionOffset). */
  textBefore: string;
  baseOffset: number;
  completionOffset: number;
  /** What the document holds from `completionOffset` when the completion was accepted, else null. */
  acceptedText: string | null;
  healed: string;
  /** Text of the token that starts the suffix of a fill-in-the-middle prompt. */
  fimSuffixToken: string;
}

/** Each piece's characters: a token that ends inside a multi-byte character gets '' and the next one gets the character. */
function pieceTexts(pieces: readonly TokenPiece[]): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return pieces.map((p, i) => decoder.decode(p.bytes, { stream: i < pieces.length - 1 }));
}

/**
 * Document index of each character of `text` that matches `doc` when both are walked from the given
 * ends (backwards, or forwards), null for characters past the first mismatch. A `\r\n` of the document
 * matches a `\n` of the text.
 */
function matchChars(text: string, doc: string, backwards: boolean): (number | null)[] {
  const at: (number | null)[] = new Array<number | null>(text.length).fill(null);
  if (backwards) {
    let j = doc.length - 1;
    for (let i = text.length - 1; i >= 0 && j >= 0; i--) {
      if (text[i] !== doc[j]) break;
      at[i] = j--;
      if (text[i] === '\n' && doc[j] === '\r' && text[i - 1] !== '\r') j--;
    }
  } else {
    let j = 0;
    for (let i = 0; i < text.length && j < doc.length; i++) {
      if (text[i] === '\n' && doc[j] === '\r' && doc[j + 1] === '\n') j++;
      if (text[i] !== doc[j]) break;
      at[i] = j++;
    }
  }
  return at;
}

/**
 * Places `texts` (consecutive tokens) using `at` (document index per character, relative to `base`). A token
 * not wholly matched gets an empty range: at the end of the placed token before it, or (before the first
 * placed token) at that token's start, or `fallback` when none is placed.
 */
function place(
  pieces: readonly TokenPiece[],
  texts: readonly string[],
  at: readonly (number | null)[],
  base: number,
  fallback: number,
  generated: boolean,
): AttentionToken[] {
  const ranges: ([number, number] | null)[] = [];
  let c = 0;
  for (const text of texts) {
    const first = text.length > 0 ? at[c] : undefined;
    const last = text.length > 0 ? at[c + text.length - 1] : undefined;
    ranges.push(first !== null && first !== undefined && last !== null && last !== undefined ? [base + first, base + last + 1] : null);
    c += text.length;
  }
  let prev = ranges.find((r) => r !== null)?.[0] ?? fallback;
  return pieces.map((piece, k) => {
    const r = ranges[k];
    const [start, end] = r ?? [prev, prev];
    if (r) prev = r[1];
    return { id: piece.id, text: texts[k], start, end, generated, special: piece.special };
  });
}

/** The exact tokens, placed on the document; `generatedFrom` = the number of prompt tokens. */
export function placeExactTokens(prompt: readonly TokenPiece[], generated: readonly TokenPiece[], p: ExactPlacement): AttentionToken[] {
  const promptTexts = pieceTexts(prompt);
  const endsWithControl = prompt.length > 0 && prompt[prompt.length - 1].special;
  const suffixAt = endsWithControl ? promptTexts.findIndex((t, i) => prompt[i].special && t === p.fimSuffixToken) : -1;
  const prefixCount = suffixAt >= 0 ? suffixAt : prompt.length;
  const prefixText = promptTexts.slice(0, prefixCount).join('');
  const before = p.healed && p.textBefore.endsWith(p.healed) ? p.textBefore.slice(0, -p.healed.length) : p.textBefore;
  const promptAt = matchChars(prefixText, before, true);
  const head = place(prompt.slice(0, prefixCount), promptTexts.slice(0, prefixCount), promptAt, p.baseOffset, p.baseOffset + before.length, false);
  const end = p.baseOffset + before.length;
  const tail = prompt.slice(prefixCount).map((piece, k) => ({
    id: piece.id, text: promptTexts[prefixCount + k], start: end, end, generated: false, special: piece.special,
  }));

  const genTexts = pieceTexts(generated);
  const genText = genTexts.join('');
  const healedStart = p.completionOffset - p.healed.length;
  const genAt = p.acceptedText !== null ? matchChars(genText, p.healed + p.acceptedText, false) : [];
  const gen = place(generated, genTexts, genAt, healedStart, p.completionOffset, true);
  return [...head, ...tail, ...gen];
}
