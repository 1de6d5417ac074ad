import { strict as assert } from 'node:assert';
import manifest from '../../../package.json';
import { CONTRIBUTED_COMMANDS, INTERNAL_COMMANDS } from '../../../src/extension/commands';

describe('extension/commands', () => {
  const declared = manifest.contributes.commands.map((c) => c.command);

  it('declares in package.json exactly the contributed command ids', () => {
    assert.deepEqual([...declared].sort(), Object.values(CONTRIBUTED_COMMANDS).sort());
  });

  it('keeps internal command ids out of the palette', () => {
    for (const id of Object.values(INTERNAL_COMMANDS)) assert.ok(!declared.includes(id), `${id} is declared in package.json`);
  });

  it('binds keys only to contributed commands', () => {
    const contributed: readonly string[] = Object.values(CONTRIBUTED_COMMANDS);
    for (const { command } of manifest.contributes.keybindings) assert.ok(contributed.includes(command), `${command} has a key but is not contributed`);
  });
});
