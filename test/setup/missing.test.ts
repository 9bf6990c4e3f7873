// What a test project runs instead of its tests when its adapter is missing but another one took the tests (a
// hardware GPU for the software adapters, the software adapters for a hardware GPU): one test, skipped with the reason.
import { it } from 'vitest';

it.skip(process.env.XENTROPY_MISSING ?? 'the adapter is missing', () => {});
