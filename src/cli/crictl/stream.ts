// The hook for interactive streaming (`exec -i/-t`, later `attach` and `port-forward`): CRI's
// Exec/Attach/PortForward answer with a URL on the runtime's streaming server, which the client
// then speaks kubectl's websocket protocols to (v5.channel.k8s.io: channel 0 stdin, 1 stdout,
// 2 stderr, 3 error/status, 4 resize, 255 close).
//
// CONTRACT for the implementation (the `stream` branch's websocket client plugs in here):
// streamExec connects to `url`, copies process.stdin (when `stdin`) to the stream and the
// stream's stdout/stderr to process.stdout/stderr (one stream when `tty`, with the terminal in
// raw mode and resizes sent), and resolves with the command's exit code from the status
// channel. It rejects with an Error saying what failed (connect, protocol, status).

export interface StreamOptions {
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Runs an interactive session at a CRI streaming URL; resolves with the remote exit code. */
export async function streamExec(url: string, opts: StreamOptions): Promise<number> {
  void opts;
  throw new Error(
    `interactive exec (-i/-t) needs the streaming client, which this build does not have yet (streaming URL ${url}); ` +
      'run the command without -i/-t, or with -s, to execute it synchronously',
  );
}
