/** The attention commands' untyped arguments: what `parseCompletionArg` and `isIndex` accept and refuse. */
import { strict as assert } from 'node:assert';
import { isIndex, parseCompletionArg } from '../../../src/attention/commandArgs';

describe('attention command arguments', () => {
  it('reads a completion to explain, with or without its result id', () => {
    assert.deepEqual(parseCompletionArg({ completion: { text: 'x + 1', offset: 12, inDocument: true, resultId: 7 } }), { text: 'x + 1', offset: 12, inDocument: true, resultId: 7 });
    // inDocument is true only when given as true; a malformed result id is left out, not an error
    assert.deepEqual(parseCompletionArg({ completion: { text: 'y', offset: 0, inDocument: 'yes', resultId: -1 } }), { text: 'y', offset: 0, inDocument: false });
  });

  it('ignores anything else (the command then explains the cursor)', () => {
    for (const arg of [undefined, null, 'x', {}, { completion: 'x' }, { completion: { text: 1, offset: 0 } }, { completion: { text: 'a', offset: 1.5 } }, { completion: { text: 'a', offset: -1 } }]) {
      assert.equal(parseCompletionArg(arg), null, JSON.stringify(arg));
    }
  });

  it('isIndex: non-negative integers only', () => {
    assert.deepEqual([0, 3, -1, 1.5, NaN, '2', null].map(isIndex), [true, true, false, false, false, false, false]);
  });
});
