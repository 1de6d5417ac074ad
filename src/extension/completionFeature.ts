/**
 * Inline completions: wires the shared model worker (./sharedEngine.ts), the completion pipeline
 * and the provider to the settings, the status bar and the log.
 */
import * as vscode from 'vscode';
import { zeroReasonCounts, type NoSuggestionReason } from '../completion/outcome';
import { CompletionPipeline } from '../completion/pipeline';
import type { Prompt } from '../completion/prompt';
import type { WorkerClient } from '../engine/workerClient';
import { CONTRIBUTED_COMMANDS } from './commands';
import { LocalGptCompletionProvider } from './completionProvider';
import { LastActivity } from './lastActivity';
import type { Services } from './services';
import { sharedEngine } from './sharedEngine';
import { registerWorkspaceFeature, type WorkspaceFeatureApi } from './workspaceFeature';

/** What the completion feature hands to tests (through the extension's API). */
export interface CompletionFeatureApi {
  /** The shared model worker client (state, stats, events). */
  engine: WorkerClient;
  /** Completions shown since activation, by where they came from. */
  counts: { model: number; cache: number };
  /** Requests since activation that ended without a suggestion, by reason (engine failures: `error`; while off: `disabled`). */
  noSuggestion: Record<NoSuggestionReason, number>;
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
  const counts = { model: 0, cache: 0 };
  const noSuggestion = zeroReasonCounts();
  let lastError = '';
  const lastActivity = new LastActivity();
  const provider = new LocalGptCompletionProvider(pipeline, {
    isEnabled: () => deps.settings.current.enabled && engine.configError === null,
    onOutcome: (outcome, document, position) => {
      if (outcome.kind === 'none') {
        noSuggestion[outcome.reason]++;
        deps.log.trace(`no suggestion at ${vscode.workspace.asRelativePath(document.uri, false)}:${position.line + 1}:${position.character + 1}: ${outcome.reason}`);
        return;
      }
      counts[outcome.source]++;
      lastError = '';
      // The status bar shows the model's latency; a cache hit (typing through) says nothing about it.
      if (outcome.source === 'model') deps.statusBar.setLatency(outcome.latencyMs);
      if (outcome.source === 'model' && outcome.timings) {
        const t = outcome.timings;
        deps.log.debug(
          `completion in ${Math.round(outcome.latencyMs)} ms, model ${Math.round(outcome.modelMs ?? 0)} ms (${outcome.multiline ? 'multi' : 'single'}-line, ${outcome.prompt?.format}): ` +
            `${t.promptTokens} prompt tokens (${t.reusedTokens} reused), prefill ${t.prefillMs.toFixed(1)} ms, ` +
            `decode ${t.decodeMs.toFixed(1)} ms at ${t.tokensPerSecond.toFixed(0)} tokens/s, stop: ${outcome.stopReason}` +
            (outcome.prompt?.snippets ? `; snippets: ${outcome.prompt.snippets.join(', ')}` : ''),
        );
      }
    },
    onError: (error) => {
      // The client already logged load failures and crashes; say each other failure once.
      if (error.message !== lastError) deps.log.warn(`completion failed: ${error.message}`);
      lastError = error.message;
    },
  }, (document) => lastActivity.at(document));
  context.subscriptions.push(
    lastActivity,
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
  return { engine: engine.client, counts, noSuggestion, provider, workspace, lastPrompt: () => pipeline.lastPrompt };
}
