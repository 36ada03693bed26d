import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { excerpt } from './excerpt.ts';
import { InputError } from './input-error.ts';

/**
 * Why text is not JSON, in one short printable line: V8's message without its echo of the input (which
 * can be raw binary), and an escaped excerpt of where the text starts.
 */
export function jsonSyntaxMessage(text: string, err: unknown): string {
  const raw = (err as Error).message.replace(/,? ".*"(\.\.\.)? is not valid JSON$/s, '').replace(/\s+/g, ' ');
  const reason = excerpt(raw, 100).slice(1, -1).replace(/\\"/g, '"');
  return `${reason}; it starts ${excerpt(text, 24)}`;
}

function parse(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${jsonSyntaxMessage(text, err)}`);
  }
}

function readFailure(path: string, err: unknown, missingMessage?: string): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' && missingMessage) return new InputError(missingMessage);
  return new InputError(`cannot read ${path}: ${code ?? (err as Error).message}`);
}

/** Parses a JSON file; any failure is an InputError naming the file. */
export async function readJson(path: string, missingMessage?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw readFailure(path, err, missingMessage);
  }
  return parse(text, path);
}

/** readJson, synchronously. */
export function readJsonSync(path: string, missingMessage?: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw readFailure(path, err, missingMessage);
  }
  return parse(text, path);
}
