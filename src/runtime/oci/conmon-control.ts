// conmon's control fifo (<bundle>/ctl): one line per command; "1 <rows> <cols>\n" resizes the
// terminal of the process conmon watches (container or exec session), "2 0 0\n" reopens the
// container's log file.

import { constants as fsc } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Writes one line to the fifo. Opened non-blocking, so with no reader (conmon gone) this fails
 * with ENXIO instead of hanging.
 */
export async function writeControl(ctlPath: string, line: string): Promise<void> {
  const fh = await open(ctlPath, fsc.O_WRONLY | fsc.O_NONBLOCK);
  try {
    await fh.write(line);
  } finally {
    await fh.close();
  }
}

/** The line that makes conmon reopen the container's log (after the caller renamed it). */
export const REOPEN_LOG_LINE = '2 0 0\n';

/** A resize line for conmon. */
export function resizeLine(size: { width: number; height: number }): string {
  return `1 ${size.height} ${size.width}\n`;
}
