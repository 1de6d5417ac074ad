import { strict as assert } from 'node:assert';
import { initialPanelState, missingRow, panelReducer, viewTitle, type PanelAction, type PanelState } from '../../../src/attention/panelState';
import { snapshotOf, uniformSnapshot } from './fixtures';

const run = (state: PanelState, ...actions: PanelAction[]) => actions.reduce(panelReducer, state);

describe('attention panel selection state', () => {
  const snap = uniformSnapshot(['a', ' b', ' c', ' d', ' e'], 3, 4);

  it('starts empty; a snapshot selects its query token, the last layer and rollout', () => {
    const s0 = initialPanelState();
    assert.equal(s0.status, 'empty');
    const s = run(s0, { type: 'snapshot', snapshot: { ...snap, queryToken: 3 } });
    assert.deepEqual([s.status, s.query, s.layer, s.view.kind], ['ready', 3, 2, 'rollout']);
  });

  it('click, arrows, Home/End move the query within the tokens', () => {
    let s = run(initialPanelState(), { type: 'snapshot', snapshot: snap });
    s = run(s, { type: 'selectQuery', index: 1 });
    assert.equal(s.query, 1);
    assert.equal(run(s, { type: 'moveQuery', delta: -1 }).query, 0);
    assert.equal(run(s, { type: 'moveQuery', delta: -5 }).query, 0, 'clamped at the first token');
    assert.equal(run(s, { type: 'moveQuery', delta: 1 }).query, 2);
    assert.equal(run(s, { type: 'moveQuery', delta: 'last' }).query, 4);
    assert.equal(run(s, { type: 'moveQuery', delta: 'first' }).query, 0);
    assert.equal(run(s, { type: 'selectQuery', index: 99 }).query, 1, 'an index outside the tokens is ignored');
    assert.equal(run(s, { type: 'selectQuery', index: 2.5 }).query, 1);
  });

  it('the editor cursor moves the query unless pinned', () => {
    let s = run(initialPanelState(), { type: 'snapshot', snapshot: snap }, { type: 'cursor', index: 2 });
    assert.equal(s.query, 2);
    s = run(s, { type: 'setPinned', pinned: true }, { type: 'cursor', index: 0 });
    assert.equal(s.query, 2, 'pinned: cursor ignored');
    assert.equal(run(s, { type: 'selectQuery', index: 0 }).query, 0, 'pinned: clicks still select');
    assert.equal(run(s, { type: 'setPinned', pinned: false }, { type: 'cursor', index: 0 }).query, 0);
  });

  it('layer and head selection: grid cells pick layer + head; out-of-range choices are ignored or fall back', () => {
    let s = run(initialPanelState(), { type: 'snapshot', snapshot: snap }, { type: 'selectHead', layer: 1, head: 3 });
    assert.deepEqual([s.layer, s.view], [1, { kind: 'head', head: 3 }]);
    assert.deepEqual(run(s, { type: 'selectHead', layer: 3, head: 0 }), s, 'no layer 3');
    assert.equal(run(s, { type: 'selectLayer', layer: 9 }).layer, 2, 'clamped');
    s = run(s, { type: 'selectView', view: { kind: 'head', head: 7 } });
    assert.deepEqual(s.view, { kind: 'mean' }, 'a head that does not exist falls back to the mean');
    s = run(s, { type: 'selectView', view: { kind: 'rollout' } });
    assert.deepEqual(s.view, { kind: 'rollout' });
  });

  it('a new snapshot keeps the layer and view when they still exist, and takes the host query', () => {
    let s = run(initialPanelState(), { type: 'snapshot', snapshot: snap }, { type: 'selectHead', layer: 0, head: 2 });
    s = run(s, { type: 'snapshot', snapshot: snap, query: 4 });
    assert.deepEqual([s.query, s.layer, s.view], [4, 0, { kind: 'head', head: 2 }]);
    const fewerHeads = uniformSnapshot(['x', 'y'], 1, 2);
    s = run(s, { type: 'snapshot', snapshot: fewerHeads });
    assert.deepEqual([s.query, s.layer, s.view], [1, 0, { kind: 'mean' }]);
  });

  it('loading keeps the old weights on screen; errors and "unsupported" clear them', () => {
    let s = run(initialPanelState(), { type: 'snapshot', snapshot: snap }, { type: 'loading', message: 'Computing…' });
    assert.equal(s.status, 'ready');
    assert.ok(s.snapshot);
    assert.equal(s.busy, true);
    assert.equal(run(s, { type: 'snapshot', snapshot: snap }).busy, false);
    s = run(s, { type: 'unsupported', message: 'no attention', howTo: 'export it' });
    assert.deepEqual([s.status, s.snapshot, s.howTo], ['unsupported', null, 'export it']);
    s = run(s, { type: 'moveQuery', delta: 1 });
    assert.equal(s.status, 'unsupported', 'keys do nothing without a snapshot');
    assert.equal(run(initialPanelState(), { type: 'loading', message: 'Computing…' }).status, 'loading');
  });

  it('missingRow names the query whose row a partial snapshot lacks', () => {
    const partial = snapshotOf({ texts: ['a', 'b', 'c'], nLayer: 1, nHead: 1, rows: [2], probs: [0.2, 0.3, 0.5], rollout: [0.2, 0.3, 0.5] });
    let s = run(initialPanelState(), { type: 'snapshot', snapshot: partial });
    assert.equal(missingRow(s), null);
    s = run(s, { type: 'selectQuery', index: 0 });
    assert.equal(missingRow(s), 0);
  });

  it('view titles are 1-based for people', () => {
    assert.equal(viewTitle({ kind: 'head', head: 0 }, 2, 8), 'Layer 3 · head 1');
    assert.equal(viewTitle({ kind: 'mean' }, 0, 8), 'Layer 1 · mean of 8 heads');
    assert.equal(viewTitle({ kind: 'rollout' }, 0, 8), 'Rollout (all layers)');
  });
});
