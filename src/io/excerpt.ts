/**
 * A short, escaped excerpt of untrusted text for an error message: JSON-quoted, everything outside
 * printable ASCII as \uXXXX (never raw bytes), cut to `max` characters (then ...).
 */
export function excerpt(text: string, max = 40): string {
  const quoted = JSON.stringify(text.slice(0, max)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text.length > max ? `${quoted}...` : quoted;
}
