/**
 * The check helpers every boundary uses (host <-> worker, host <-> webview, command arguments, JSON files):
 * a value from outside is `unknown` until one of these accepts it, and a rejection is a message naming the
 * offending path, never an exception. Imports nothing, so browser, worker and host code can all use it.
 */

/** A validated value, or why it was rejected. */
export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

/** Returns an error message naming `path`, or null when `value` is acceptable. */
export type Check = (value: unknown, path: string) => string | null;

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` is one of `values` (an enumeration written once as a `const` array). */
export function isOneOf<T extends string>(values: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (values as readonly string[]).includes(v);
}

export const num =
  (opts: { int?: boolean; min?: number; max?: number } = {}): Check =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${path} must be a finite number`;
    if (opts.int && !Number.isInteger(v)) return `${path} must be an integer`;
    if (opts.min !== undefined && v < opts.min) return `${path} must be >= ${opts.min}`;
    if (opts.max !== undefined && v > opts.max) return `${path} must be <= ${opts.max}`;
    return null;
  };

export const nonNegativeInteger: Check = (v, path) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? null : `${path} must be a non-negative integer`;

export const str: Check = (v, path) => (typeof v === 'string' ? null : `${path} must be a string`);

export const bool: Check = (v, path) => (typeof v === 'boolean' ? null : `${path} must be a boolean`);

export const optional =
  (inner: Check): Check =>
  (v, path) =>
    v === undefined ? null : inner(v, path);

export const nullable =
  (inner: Check): Check =>
  (v, path) =>
    v === null ? null : inner(v, path);

export const oneOf =
  (values: readonly string[]): Check =>
  (v, path) =>
    isOneOf(values, v) ? null : `${path} must be one of ${values.join(', ')}`;

export const arrayOf =
  (inner: Check): Check =>
  (v, path) => {
    if (!Array.isArray(v)) return `${path} must be an array`;
    for (let i = 0; i < v.length; i++) {
      const e = inner(v[i], `${path}[${i}]`);
      if (e) return e;
    }
    return null;
  };

export const object =
  (shape: Record<string, Check>): Check =>
  (v, path) => {
    if (!isRecord(v)) return `${path} must be an object`;
    for (const [key, check] of Object.entries(shape)) {
      const e = check(v[key], `${path}.${key}`);
      if (e) return e;
    }
    return null;
  };

/** Picks the shape by the value of `field`. */
export const tagged =
  (field: string, shapes: Record<string, Record<string, Check>>): Check =>
  (v, path) => {
    if (!isRecord(v)) return `${path} must be an object`;
    const tag = v[field];
    if (typeof tag !== 'string' || !Object.hasOwn(shapes, tag)) return `${path}.${field} must be one of ${Object.keys(shapes).join(', ')}`;
    return object(shapes[tag])(v, path);
  };
