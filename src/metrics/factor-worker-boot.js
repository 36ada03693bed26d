// Worker threads do not inherit the tsx loader of `npx untangle`: register it, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./factor-worker.ts');
