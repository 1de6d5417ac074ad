import * as vscode from 'vscode';

/** The "Local GPT" output channel (Output panel, or **Local GPT: Show Log**). Level follows "Developer: Set Log Level". */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Local GPT', { log: true });
}
