// What the streaming tests give a session as its stdout or stderr: a stream that keeps
// everything written to it.

import { PassThrough } from 'node:stream';

export function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  return { stream, text: () => Buffer.concat(parts).toString() };
}
