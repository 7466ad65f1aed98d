/**
 * The service's time from an answer's `Date` header (RFC 7231, one-second
 * resolution), or undefined when absent or not a date a real server sends.
 */
export function serviceTime(date: string | string[] | undefined): number | undefined {
  if (typeof date !== "string" || date.length > 64) return undefined;
  const time = Date.parse(date);
  // Years 2000–9999: anything else is no server's clock.
  return Number.isFinite(time) && time >= 946_684_800_000 && time < 253_402_300_800_000 ? time : undefined;
}
