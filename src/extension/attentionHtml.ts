/**
 * The attention panel's page, built in one function: a static skeleton (the script fills it through the
 * DOM with text nodes, so no document text is ever part of the HTML) under a strict Content Security
 * Policy: only our script (by nonce) and our stylesheet load; nothing remote, no inline code.
 * No `vscode` import, so tests load the page in a plain browser.
 */
interface PageResources {
  /** `webview.cspSource`. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

/** A fresh random nonce for the CSP (base64url of 16 random bytes). */
export function makeNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64url');
}

/**
 * The panel's HTML: a static skeleton (no document text is ever put into HTML; the script fills the page
 * through the DOM with text nodes). CSP: nothing loads except our script (by nonce) and stylesheet.
 */
export function attentionHtml(r: PageResources): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${r.nonce}'`,
    `style-src ${r.cspSource}`,
    `img-src ${r.cspSource}`,
    `font-src ${r.cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${r.styleUri}">
<title>Attention</title>
</head>
<body data-status="empty" data-busy="false">
<header id="header">
  <p id="status" role="status" aria-live="polite">No attention yet — run “Local GPT: Explain Attention” in an editor.</p>
  <div class="toolbar">
    <button id="pin" type="button" aria-pressed="false">Pin</button>
    <button id="refresh" type="button" title="Recompute around the cursor">Refresh</button>
  </div>
</header>
<p id="how-to" hidden></p>
<section id="summary" aria-label="What the selected token looked at" hidden>
  <p id="headline"></p>
  <ol id="ranked" aria-label="Most attended earlier tokens"></ol>
</section>
<section id="controls" aria-label="Layer and head" hidden>
  <label>Layer <select id="layer" aria-label="Layer"></select></label>
  <label>Head <select id="head" aria-label="Head"></select></label>
  <span id="view-title"></span>
</section>
<div id="readout" hidden></div>
<pre id="tokens" role="listbox" aria-label="Tokens of the window; arrow keys choose the token whose attention is shown" hidden></pre>
<section id="grid-section" hidden>
  <h2>Heads</h2>
  <table id="grid" aria-label="Layer by head: darker means the head focuses on fewer tokens"></table>
  <p class="legend">Darker = the head looks at few tokens (low entropy). Click a cell to show that head, a layer name for its mean.</p>
</section>
<details id="explanation" open hidden>
  <summary>How to read this</summary>
  <div id="reading"></div>
  <p id="caveat"></p>
</details>
<footer id="meta"></footer>
<script nonce="${r.nonce}" src="${r.scriptUri}"></script>
</body>
</html>`;
}
