import { randomBytes } from 'node:crypto';

/** A sandbox or container id: 64 hex digits, as containerd and CRI-O make them. */
export function randomId(): string {
  return randomBytes(32).toString('hex');
}
