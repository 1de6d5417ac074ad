/**
 * The plain-language text that goes with the weights: one headline about the selected token, a few
 * sentences on how to read the colours for the current view, and the caveat that attention is not a
 * full explanation of the output. Shared by the command (quick pick) and the panel.
 */
import { formatWeight, tokenLabel, type Influence } from './rank';
import type { AttentionToken, AttentionView } from './types';

export interface Explanation {
  headline: string;
  /** How to read the highlights, for this view. */
  reading: string[];
  caveat: string;
}

export const ATTENTION_CAVEAT =
  'Attention shows where the model looked, not why it chose its output: the MLP layers and the values that were mixed ' +
  'also shape the prediction, and different heads can disagree. Treat it as a clue, not a full explanation.';

const quote = (t: Pick<AttentionToken, 'text' | 'special' | 'id'>) => `“${tokenLabel(t)}”`;

function list(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

interface ExplainInput {
  tokens: readonly AttentionToken[];
  query: number;
  /** 1-based line of the query token, when known. */
  line?: number;
  view: AttentionView;
  layer: number;
  nLayer: number;
  nHead: number;
  ranked: readonly Influence[];
  /** The query token's weight on itself. */
  selfWeight: number;
  /** The query belongs to a completion (predicts the next generated token). */
  generated: boolean;
  /** Snippets of other files that the completion's prompt held (AttentionSnapshot.retrieved). */
  retrieved?: readonly string[];
}

export function explain(input: ExplainInput): Explanation {
  const { tokens, query, view, layer, nLayer, nHead, ranked } = input;
  const q = tokens[query];
  const where = input.line !== undefined ? ` (line ${input.line})` : '';
  const subject = input.generated ? `To write the completion after ${quote(q)}${where}` : `To predict what comes after ${quote(q)}${where}`;
  const top = ranked.slice(0, 3).map((r) => `${quote(tokens[r.index])} ${formatWeight(r.weight)}`);
  const headline =
    top.length === 0
      ? `${quote(q)}${where} is the first token of the window: it can only look at itself.`
      : `${subject}, the model looked most at ${list(top)}.`;

  const reading: string[] = [
    'Each highlighted piece of text is one token (what the model reads in one step). The stronger the colour, the larger ' +
      'the share of attention the selected token gave it; the shares of one token add up to 100%. Hover a token for its exact weight.',
  ];
  if (view.kind === 'rollout') {
    reading.push(
      `Rollout follows attention through all ${nLayer} layers, counting each layer's residual connection as half of the mix ` +
        '(Abnar & Zuidema, 2020): it estimates how much of each earlier token reaches this prediction.',
    );
  } else if (view.kind === 'mean') {
    reading.push(`Layer ${layer + 1} of ${nLayer}, averaged over its ${nHead} heads: what this layer as a whole gathered.`);
  } else {
    reading.push(
      `Layer ${layer + 1} of ${nLayer}, head ${view.head + 1} of ${nHead}: one attention head on its own. Heads specialise ` +
        '(the previous token, a matching bracket, an earlier use of the same name), so compare a few.',
    );
  }
  if (input.selfWeight > 0) reading.push(`The selected token keeps ${formatWeight(input.selfWeight)} on itself (outlined, not ranked).`);
  if (ranked.length > 0 && ranked[0].index === 0 && query > 4 && ranked[0].weight >= 0.3) {
    reading.push('Much weight on the very first token usually means “nothing in particular”: models park spare attention there.');
  }
  if (input.generated && input.retrieved && input.retrieved.length > 0) {
    reading.push(
      `The prompt of this completion also held ${input.retrieved.length === 1 ? 'a snippet' : 'snippets'} retrieved from other files ` +
        `(${list([...input.retrieved])}), as comments before this file's text. They are not in the window shown here, so the ` +
        'attention they got is not shown; the shares above are of this window only.',
    );
  }
  return { headline, reading, caveat: ATTENTION_CAVEAT };
}
