import { readFile } from 'node:fs/promises';
import { InputError } from './input-error.ts';

/** Parses a JSON file; any failure is an InputError naming the file. */
export async function readJson(path: string, missingMessage?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && missingMessage) throw new InputError(missingMessage);
    throw new InputError(`cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
