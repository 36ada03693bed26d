/**
 * `untangle bench` alone, the entry bench/gpu-device-run.sh bundles for a GPU machine without Node
 * or node_modules: the whole CLI would pull in the dashboard's build tools and native picture code.
 */
import { Command } from 'commander';
import { register } from '../src/cli/bench.ts';

const program = new Command('untangle');
register(program);
await program.parseAsync();
