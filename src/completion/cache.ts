/**
 * Completions already shown, keyed by document context (document + text before the cursor + rest
 * of the line), in an LRU (`lru-cache`). Typing through a shown suggestion finds the entry made
 * for the shorter prefix and returns what is left of it, so no new generation runs; deleting back
 * finds the older entry as it was.
 */
import { LRUCache } from 'lru-cache';

interface CacheKeyParts {
  /** Document identity (URI string) plus anything that changes the result (model, settings). */
  document: string;
  /** Text before the cursor (its last `PREFIX_KEY_CHARS` characters count). */
  prefix: string;
  /** Rest of the current line after the cursor. */
  lineSuffix: string;
}

/** Characters of the prefix that make the key: enough to tell places apart, short to hash. */
const PREFIX_KEY_CHARS = 1000;
/** How far back typed-through characters are looked for. */
const MAX_TYPED_THROUGH = 256;

export class CompletionCache {
  private readonly lru: LRUCache<string, string>;

  constructor(maxEntries = 500) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  private key(document: string, prefix: string, lineSuffix: string): string {
    return `${document}\u0000${prefix.slice(-PREFIX_KEY_CHARS)}\u0000${lineSuffix}`;
  }

  set(parts: CacheKeyParts, completion: string): void {
    this.lru.set(this.key(parts.document, parts.prefix, parts.lineSuffix), completion);
  }

  /** The completion for this exact context, or what is left of one the user has been typing through. */
  get(parts: CacheKeyParts): string | undefined {
    const exact = this.lru.get(this.key(parts.document, parts.prefix, parts.lineSuffix));
    if (exact !== undefined) return exact;
    const limit = Math.min(MAX_TYPED_THROUGH, parts.prefix.length);
    for (let typed = 1; typed <= limit; typed++) {
      const earlier = this.lru.get(this.key(parts.document, parts.prefix.slice(0, -typed), parts.lineSuffix));
      if (earlier === undefined) continue;
      const typedText = parts.prefix.slice(-typed);
      if (earlier.length > typed && earlier.startsWith(typedText)) return earlier.slice(typed);
    }
    return undefined;
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}
