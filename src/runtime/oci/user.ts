// The container's user: uid, gid and supplementary groups, resolved like containerd's CRI plugin
// from the CRI security context (run_as_user / run_as_username / run_as_group /
// supplemental_groups) or else the image's `User`, looking names up in the rootfs's /etc/passwd
// and /etc/group. Parsing is pure; loadUserDb does the (root-confined) file reads.

import { readFile } from 'node:fs/promises';
import { CriError } from '../../cri/errors.js';
import type { LinuxContainerSecurityContext } from './cri-types.js';
import { resolveInRoot } from './rootpath.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The raw text of the rootfs's /etc/passwd and /etc/group; absent when the file does not exist. */
export interface UserDb {
  passwd?: string | null;
  group?: string | null;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The primary gid first, then the image's groups listing the user, then CRI supplemental_groups; no duplicates. */
  additionalGids: number[];
  /** The passwd name of the uid, when the image knows it. */
  username?: string;
}

const MAX_ID = 0xfffffffe;
const MAX_DB_BYTES = 4 << 20;

function parseId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

/**
 * The `:`-separated fields of each entry line of a passwd/group text that has at least
 * `minFields` fields, a name and a numeric id in field 2; comments, blank and malformed lines
 * are skipped, as libc does.
 */
function dbEntries(text: string | null | undefined, minFields: number): { f: string[]; name: string; id: number }[] {
  const out: { f: string[]; name: string; id: number }[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const f = line.split(':');
    const name = f[0] ?? '';
    const id = parseId(f[2] ?? '');
    if (f.length >= minFields && name !== '' && id !== undefined) out.push({ f, name, id });
  }
  return out;
}

/** Entries of an /etc/passwd text; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string | null | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const { f, name, id } of dbEntries(text, 4)) {
    const gid = parseId(f[3] ?? '');
    if (gid !== undefined) out.push({ name, uid: id, gid, home: f[5] ?? '', shell: f[6] ?? '' });
  }
  return out;
}

/** Entries of an /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string | null | undefined): GroupEntry[] {
  return dbEntries(text, 3).map(({ f, name, id }) => ({
    name,
    gid: id,
    members: (f[3] ?? '').split(',').map((m) => m.trim()).filter((m) => m !== ''),
  }));
}

/**
 * Reads /etc/passwd and /etc/group of `rootfs`, following symlinks only inside it. A missing
 * file is absent from the result; a file over 4 MiB is refused (an image cannot make the
 * runtime read a huge file).
 */
export async function loadUserDb(rootfs: string): Promise<UserDb> {
  const read = async (p: string): Promise<string | undefined> => {
    const host = await resolveInRoot(rootfs, p);
    try {
      const buf = await readFile(host);
      if (buf.length > MAX_DB_BYTES) throw CriError.invalidArgument(`${p} in the image is larger than 4 MiB`);
      return buf.toString('utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw err;
    }
  };
  const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')]);
  return { passwd, group };
}

export interface ResolveUserInput {
  securityContext?: LinuxContainerSecurityContext | null;
  /** The image config's `User`: "", "name", "uid", "name:group", "uid:gid", ... */
  imageUser?: string;
  userDb: UserDb;
}

/** The user string the CRI security context asks for, or "" when it sets none (containerd's generateUserString). */
function criUserString(sc: LinuxContainerSecurityContext | null | undefined): string {
  let user = '';
  if (sc?.run_as_username) user = sc.run_as_username;
  else if (sc?.run_as_user) user = String(sc.run_as_user.value);
  if (sc?.run_as_group) {
    if (user === '') throw CriError.invalidArgument(`run_as_group ${sc.run_as_group.value} is set without run_as_user or run_as_username`);
    user += `:${sc.run_as_group.value}`;
  }
  return user;
}

/**
 * Resolves the process user. Rules (containerd): the CRI user wins over the image's; a numeric
 * uid needs no passwd entry (its gid is then the entry's gid, or 0); a name must exist in
 * /etc/passwd; a group part (numeric or a name from /etc/group) overrides the gid. Unless
 * supplemental_groups_policy is Strict, groups of /etc/group listing the user are added.
 */
export function resolveUser(input: ResolveUserInput): ResolvedUser {
  const sc = input.securityContext;
  const users = parsePasswd(input.userDb.passwd);
  const groups = parseGroup(input.userDb.group);
  const spec = criUserString(sc) || input.imageUser || '0';
  const parts = spec.split(':');
  if (parts.length > 2 || parts[0] === '') throw CriError.invalidArgument(`invalid user "${spec}": want user, uid, user:group or uid:gid`);
  const [userPart, groupPart] = parts as [string, string | undefined];

  let uid: number;
  let gid: number;
  let entry: PasswdEntry | undefined;
  const numericUid = parseId(userPart);
  if (numericUid !== undefined) {
    uid = numericUid;
    entry = users.find((u) => u.uid === uid);
    gid = entry?.gid ?? 0;
  } else {
    entry = users.find((u) => u.name === userPart);
    if (!entry) {
      const where = input.userDb.passwd == null ? 'the image has no /etc/passwd' : 'it is not in the image\'s /etc/passwd';
      throw CriError.invalidArgument(`user "${userPart}" cannot be resolved: ${where}`);
    }
    uid = entry.uid;
    gid = entry.gid;
  }
  if (groupPart !== undefined) {
    const numericGid = parseId(groupPart);
    if (numericGid !== undefined) gid = numericGid;
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) {
        const where = input.userDb.group == null ? 'the image has no /etc/group' : 'it is not in the image\'s /etc/group';
        throw CriError.invalidArgument(`group "${groupPart}" cannot be resolved: ${where}`);
      }
      gid = g.gid;
    }
  }

  const gids = [gid];
  const strict = sc?.supplemental_groups_policy === 'Strict' || sc?.supplemental_groups_policy === 1;
  const name = entry?.name;
  if (!strict && name !== undefined) {
    for (const g of groups) if (g.members.includes(name)) gids.push(g.gid);
  }
  for (const g of sc?.supplemental_groups ?? []) gids.push(g);
  const out: ResolvedUser = { uid, gid, additionalGids: [...new Set(gids)] };
  if (name !== undefined) out.username = name;
  return out;
}
