// A node:test reporter that writes one JSON line per failed test (name, file, the error's first 600 characters).
// test/run.js prints them after every test has run, so the end of a long CI log names what failed and why.
export default async function* failureSummary(source) {
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const error = event.data.details?.error;
    const message = String(error?.cause?.message ?? error?.cause ?? error?.message ?? 'failed');
    yield `${JSON.stringify({ name: event.data.name, nesting: event.data.nesting, file: event.data.file, error: message.slice(0, 600) })}\n`;
  }
}
