// Ends a Jest run with the plain line CI reads: "N passed, N failed".
// A skipped or todo test proves nothing, so it counts as failed here.
// Plain JavaScript because Jest loads reporters without transforming them.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites + skipped;
    if (skipped > 0) process.stdout.write(`\n${skipped} skipped or todo test(s) counted as failed\n`);
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed\n`);
  }
}

module.exports = SummaryReporter;
