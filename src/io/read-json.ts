import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
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

/** The largest JSON file read (configs, specs, results are kilobytes; /dev/zero never ends). */
const MAX_JSON_BYTES = 64 << 20;

function checkJsonFile(path: string, size: number, isFile: boolean): void {
  if (!isFile) throw new InputError(`${path}: not a regular file (expected a JSON file)`);
  if (size > MAX_JSON_BYTES)
    throw new InputError(`${path}: ${size} bytes, more than the ${MAX_JSON_BYTES} read as JSON`);
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
    const info = await stat(path);
    checkJsonFile(path, info.size, info.isFile());
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw readFailure(path, err, missingMessage);
  }
  return parse(text, path);
}

/** readJson, synchronously. */
export function readJsonSync(path: string, missingMessage?: string): unknown {
  let text: string;
  try {
    const info = statSync(path);
    checkJsonFile(path, info.size, info.isFile());
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw readFailure(path, err, missingMessage);
  }
  return parse(text, path);
}
