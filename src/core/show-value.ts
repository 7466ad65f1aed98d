/** A user-supplied value for an error message: quoted and bounded if a string, else its type. Never throws. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) return String(value);
  return `a value of type ${Array.isArray(value) ? "array" : typeof value}`;
}
