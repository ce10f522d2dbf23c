// How a long-running command (server, agent, runtime) learns to stop.

/**
 * Resolves with the first SIGINT or SIGTERM. Its handlers are removed then, so a second signal
 * during a slow stop ends the process the default way.
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(sig);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
