// RoleBindings and ClusterRoleBindings (ROLE AGE + wide USERS GROUPS SERVICEACCOUNTS). Roles and
// ClusterRoles have no printer upstream and use the default table (NAME CREATED AT).

import type { RoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import { doc } from './descriptions.js';
import { age, ageColumn, arr, col, nameColumn, nameOf, typed, wide } from './common.js';
import type { Printer } from './types.js';

/** rbac.SubjectsStrings: users, groups and 'namespace/name' service accounts. */
export function subjectStrings(subjects: Subject[] | undefined): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of arr(subjects)) {
    if (s.kind === 'ServiceAccount') serviceAccounts.push(`${s.namespace ?? ''}/${s.name}`);
    else if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
  }
  return { users, groups, serviceAccounts };
}

function bindingPrinter(what: string, roleRefDoc: string): Printer {
  return {
    columns: [
      nameColumn,
      col('Role', 'string', roleRefDoc),
      ageColumn,
      wide(col('Users', 'string', `Users in the ${what}`)),
      wide(col('Groups', 'string', `Groups in the ${what}`)),
      wide(col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`)),
    ],
    cells: (obj, now) => {
      // RoleBinding and ClusterRoleBinding share roleRef and subjects.
      const b = typed<RoleBinding>(obj);
      const s = subjectStrings(b.subjects);
      return [
        nameOf(obj),
        `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`,
        age(obj, now),
        s.users.join(', '),
        s.groups.join(', '),
        s.serviceAccounts.join(', '),
      ];
    },
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding', doc['RoleBinding.roleRef']);
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding', doc['ClusterRoleBinding.roleRef']);
