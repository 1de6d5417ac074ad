import { createRng } from '../../../../src/engine/sampling';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { END_OF_TEXT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX } from '../../../../src/model/tokenizer';

/** Training text for tiny test tokenizers: the tokenizer's own sources plus code with deep indentation. */
export function trainingTexts(): string[] {
  const dir = join(__dirname, '../../../../src/model/tokenizer');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
  return [...sources, INDENTED_CODE, INDENTED_CODE.replace(/ {4}/g, '\t')];
}

export const INDENTED_CODE = `function walk(node: Node, depth: number): void {
    if (node.children) {
        for (const child of node.children) {
            if (child.visible) {
                for (const leaf of child.leaves) {
                    if (leaf.value > depth) {
                        console.log(leaf.value);
                    }
                }
            }
        }
    }
}
`.repeat(20);

/** Inputs that tend to break byte-level tokenizers. */
export const ADVERSARIAL: readonly string[] = [
  '',
  ' ',
  '\n',
  'a',
  'hello world',
  'emoji 😀👍🏽 family 👨‍👩‍👧‍👦 flags 🇳🇱',
  'CJK 日本語のテキスト 中文 한국어',
  'combining e\u0301 a\u0308 n\u0303 Z\u0351\u0352\u0353alg\u0300o',
  'lone surrogates \uD800 x \uDFFF y \uDC00\uD800 end\uD83D',
  'CRLF line\r\nnext\r\n\r\nlone CR\rend',
  '\ttabs\t\tmixed \t spaces\t\n\t\t\treturn x;\n',
  INDENTED_CODE.slice(0, 600),
  ' '.repeat(37) + 'deep' + '\n' + ' '.repeat(120) + 'deeper',
  'x'.repeat(5000),
  'const s = "' + 'ab '.repeat(3000) + '";',
  'trailing spaces   \n   \n',
  'unicode spaces\u00a0nbsp\u2003em\u3000ideographic\u2028ls\u2029ps\u0085nel\ufeffbom\u200bzwsp',
  '\uFEFFstarts with BOM',
  'numbers 1234567890 ٣٤٥ ½ Ⅻ 3.14e-10 0xFF',
  `special ${END_OF_TEXT} inside ${FIM_PREFIX}a${FIM_SUFFIX}b${FIM_MIDDLE} text <|endoftext <fim_prefix`,
  "contractions don't it's we'll 'single' \"double\" `tick`",
  'control \u0000\u0001\u001f\u007f chars',
  'x => { return a?.b ?? c!; } // comment /* block */ #private @decorator',
];

/** Deterministic PRNG (mulberry32): the engine's sampler RNG, so tests and product share one implementation. */
export const rng = createRng;

const PIECES = [
  'a', 'Z', 'foo', 'Bar', '_', '$', '0', '42', ' ', '  ', '    ', '\t', '\n', '\r\n', '\r', '{', '}', '(', ')', ';', '=>',
  '"', "'", '`', '//', '/*', '.', ',', 'é', 'e\u0301', '日本', '😀', '👍🏽', '\u00a0', '\u3000', '\u0085', '\ufeff', '\u2028',
  '\uD800', '\uDC00', '٣', '<', '|', '>', END_OF_TEXT, FIM_PREFIX, '\u0000',
];

/** Random strings built from the pieces above, including lone surrogates and special-token text. */
export function randomStrings(count: number, seed: number): string[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => {
    const length = Math.floor(next() * 40);
    let s = '';
    for (let i = 0; i < length; i++) s += PIECES[Math.floor(next() * PIECES.length)];
    return s;
  });
}

/** What UTF-8 encoding makes of a string: lone surrogates become U+FFFD. */
export function wellFormed(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
