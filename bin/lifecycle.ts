// Long-running commands run until SIGINT or SIGTERM.
export const untilSignal = (): Promise<string> => new Promise((resolve) => {
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
});
