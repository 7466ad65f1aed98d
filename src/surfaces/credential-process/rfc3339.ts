/** RFC 3339 UTC without milliseconds (`2026-11-22T11:15:00Z`), as AWS prints expirations. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
