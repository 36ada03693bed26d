import { InvalidArgumentError } from 'commander';

/** A commander parser for a non-negative integer flag, with an error naming the flag. */
export function intOption(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`${flag} expects a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

/** Accumulates a repeatable flag into an array. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
