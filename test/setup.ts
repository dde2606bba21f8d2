// oclif commands set process.exitCode; a leftover value would fail the jest run itself.
afterEach(() => {
  process.exitCode = undefined;
});
