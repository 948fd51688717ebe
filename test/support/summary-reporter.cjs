// Prints one plain closing line that CI reads: "jest: N passed, N failed, N skipped", preceded by
// every skipped test with its full name (skipped suites put the probe's reason in their title).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const {
      numPassedTests,
      numFailedTests,
      numPendingTests,
      numTodoTests,
      numRuntimeErrorTestSuites,
    } = results;
    const skipped = results.testResults.flatMap((file) =>
      file.testResults
        .filter((t) => t.status === 'pending' || t.status === 'todo')
        .map((t) => `  skipped: ${t.fullName}`),
    );
    if (skipped.length > 0) process.stdout.write(`\n${skipped.join('\n')}\n`);
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    process.stdout.write(
      `\njest: ${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
