/**
 * Bad input from the user (a flag, config, data file or checkpoint): the CLI prints its message as one
 * line and exits with code 2. The message names the input and what was expected.
 */
export class InputError extends Error {
  override name = 'InputError';
}
