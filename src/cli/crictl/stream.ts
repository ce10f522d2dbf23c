// Interactive streaming for `skiff crictl exec -i/-t`: CRI's Exec answers with a URL on the
// runtime's streaming server; the websocket client (src/runtime/streaming/client.ts, kubectl's
// v5.channel.k8s.io) copies this process's stdin to it and its output back, with the terminal
// in raw mode and resizes sent when `tty`, and resolves with the remote command's exit code.
// The client is imported when a session starts, not with the command tree (see main.ts).

export interface StreamOptions {
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Runs an interactive session at a CRI streaming URL; resolves with the remote exit code. */
export async function streamExec(url: string, opts: StreamOptions): Promise<number> {
  const { streamExec: runStream, terminalResizeSource } = await import('../../runtime/streaming/index.js');
  const raw = opts.tty && opts.stdin && process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  try {
    const { exitCode } = await runStream(url, {
      ...(opts.stdin ? { stdin: process.stdin } : {}),
      ...(opts.stdout ? { stdout: process.stdout } : {}),
      ...(opts.stderr ? { stderr: process.stderr } : {}),
      tty: opts.tty,
      ...(opts.tty && process.stdout.isTTY ? { resize: terminalResizeSource(process.stdout) } : {}),
    });
    return exitCode;
  } finally {
    if (raw) process.stdin.setRawMode(false);
    if (opts.stdin) process.stdin.pause();
  }
}
