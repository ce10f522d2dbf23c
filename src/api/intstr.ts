// IntOrString fields that mean "a count, or a percentage of a total" (a Deployment's or
// DaemonSet's maxSurge / maxUnavailable, a StatefulSet's maxUnavailable, a PodDisruptionBudget's
// minAvailable / maxUnavailable), scaled as upstream's intstr.GetScaledValueFromIntOrPercent.
// The one implementation every controller uses; each caller picks the rounding upstream uses
// for that field.

/** An IntOrString as it appears in decoded JSON. */
export type IntOrString = number | string;

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer as is; "N%" is N percent of `total`, rounded
 * up when `roundUp`, down otherwise. A string that is not a percentage throws, as upstream
 * returns an error (validation lets only integers and "N%" through, so a stored object never
 * does).
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (!v.endsWith('%')) throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = v.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`);
  const exact = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
