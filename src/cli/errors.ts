import { InputError } from '../io/input-error.ts';

/** An error in the command line itself (flags, run folders): printed as one line, exit code 2. */
export class UsageError extends InputError {
  override name = 'UsageError';
}
