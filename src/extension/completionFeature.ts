/**
 * Inline completions: wires the shared model worker (./sharedEngine.ts), the completion pipeline
 * and the provider to the settings, the status bar and the log.
 */
import * as vscode from 'vscode';
import { CompletionPipeline, type CompletionResult } from '../completion/pipeline';
import type { Prompt } from '../completion/prompt';
import type { WorkerClient } from '../engine/workerClient';
import { CONTRIBUTED_COMMANDS } from './commands';
import { LocalGptCompletionProvider } from './completionProvider';
import type { Services } from './services';
import { sharedEngine } from './sharedEngine';
import { registerWorkspaceFeature, type WorkspaceFeatureApi } from './workspaceFeature';

/** What the completion feature hands to tests (through the extension's API). */
export interface CompletionFeatureApi {
  /** The shared model worker client (state, stats, events). */
  engine: WorkerClient;
  /** Completions shown since activation, by where they came from; engine failures; requests declined while off. */
  counts: { model: number; cache: number; errors: number; declined: number };
  /** The registered provider, so a test can look at the items it hands VS Code. */
  provider: vscode.InlineCompletionItemProvider;
  /** Retrieval and the copy model (src/extension/workspaceFeature.ts). */
  workspace: WorkspaceFeatureApi;
  /** The prompt of the last model request (what the model saw, retrieved snippets included). */
  lastPrompt(): Prompt | null;
}

export function registerCompletionFeature(context: vscode.ExtensionContext, deps: Services): CompletionFeatureApi {
  const engine = sharedEngine(context, deps);
  const workspace = registerWorkspaceFeature(context, deps, engine.client);
  const pipeline = new CompletionPipeline(engine.client, () => deps.settings.current, { workspace: workspace.context });
  const counts = { model: 0, cache: 0, errors: 0, declined: 0 };
  let lastError = '';
  const provider = new LocalGptCompletionProvider(pipeline, {
    isEnabled: () => deps.settings.current.enabled && engine.configError === null,
    onDeclined: () => counts.declined++,
    onResult: (result: CompletionResult) => {
      counts[result.source]++;
      lastError = '';
      // The status bar shows the model's latency; a cache hit (typing through) says nothing about it.
      if (result.source === 'model') deps.statusBar.setLatency(result.latencyMs);
      if (result.source === 'model' && result.timings) {
        const t = result.timings;
        deps.log.debug(
          `completion in ${Math.round(result.latencyMs)} ms (${result.multiline ? 'multi' : 'single'}-line, ${result.prompt?.format}): ` +
            `${t.promptTokens} prompt tokens (${t.reusedTokens} reused), prefill ${t.prefillMs.toFixed(1)} ms, ` +
            `decode ${t.decodeMs.toFixed(1)} ms at ${t.tokensPerSecond.toFixed(0)} tokens/s, stop: ${result.stopReason}` +
            (result.prompt?.snippets ? `; snippets: ${result.prompt.snippets.join(', ')}` : ''),
        );
      }
    },
    onError: (error) => {
      counts.errors++;
      // The client already logged load failures and crashes; say each other failure once.
      if (error.message !== lastError) deps.log.warn(`completion failed: ${error.message}`);
      lastError = error.message;
    },
  });
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
    deps.settings.onDidChange(() => pipeline.reset()),
    vscode.commands.registerCommand(CONTRIBUTED_COMMANDS.triggerCompletion, async () => {
      if (!deps.settings.current.enabled) {
        deps.log.info('Trigger Completion: inline completions are off (Local GPT: Toggle Inline Completions).');
        return;
      }
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    }),
  );
  return { engine: engine.client, counts, provider, workspace, lastPrompt: () => pipeline.lastPrompt };
}
