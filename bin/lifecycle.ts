// Long-running commands run until SIGINT or SIGTERM.
// After the first signal the command shuts down in order; a second signal, or a shutdown still stuck after
// `forceAfterMs` (an open connection, a store that does not answer), ends the process at once.
export const untilSignal = (forceAfterMs = 15_000): Promise<string> => new Promise((resolve) => {
  const onSignal = (s: NodeJS.Signals) => {
    for (const x of ['SIGINT', 'SIGTERM'] as const) process.removeListener(x, onSignal);
    for (const x of ['SIGINT', 'SIGTERM'] as const) process.once(x, () => process.exit(130));
    setTimeout(() => { process.stderr.write(`vipwatch: shutdown took longer than ${forceAfterMs / 1000} s: exiting\n`); process.exit(1); }, forceAfterMs).unref();
    resolve(s);
  };
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, onSignal);
});
