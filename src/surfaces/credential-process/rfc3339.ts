/**
 * RFC 3339 UTC without milliseconds (`2026-11-22T11:15:00Z`), as AWS prints
 * expirations. RFC 3339 has 4-digit years only: a date outside 0000–9999
 * (which `toISOString` writes as `+275760-…`, and no consumer parses) is refused.
 */
export function rfc3339(date: Date): string {
  const text = date.toISOString();
  if (!/^\d{4}-/.test(text)) throw new RangeError(`${text} has no 4-digit year: it cannot be written as RFC 3339`);
  return text.replace(/\.\d{3}Z$/, "Z");
}
