// A setup file of a test project whose adapter is missing and that nothing else stood in for: every test file of the
// project fails with what to install (test/setup/adapters.ts), instead of running on the CPU or passing empty.
throw new Error(process.env.XENTROPY_MISSING ?? 'the adapter this test project names is missing');
