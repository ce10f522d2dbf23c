// Label key and value checks with upstream's wording (apimachinery util/validation): each returns
// the list of problems, empty when the input is valid, joined by callers with '; '.

import { isDNS1123Subdomain, isLabelValue, qualifiedNameErrors } from '../validation/names.js';

export { isDNS1123Subdomain, isLabelValue };

/** IsQualifiedName: `[prefix/]name`, which is what a label key in a selector must be. */
export function isQualifiedName(value: string): string[] {
  return qualifiedNameErrors(value, 'a qualified name');
}

export const isLabelKey = isQualifiedName;

/** field.Invalid(path, value, detail).Error() for a string value: `path: Invalid value: "v": detail`. */
export function invalidValue(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${goQuote(value)}${detail ? ': ' + detail : ''}`;
}

/** Go's %q for strings; JSON quoting agrees for the printable ASCII that valid input holds. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
