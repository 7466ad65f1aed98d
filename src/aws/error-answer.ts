import { isJsonObject } from "./json-answer.js";

/** What an AWS service said when it refused a request. */
export interface ErrorAnswer {
  status: number;
  /** The error type (`x-amzn-ErrorType`), without the `:http://internal…` suffix AWS may append. */
  errorType: string | undefined;
  /** The service's message: one line, printable, bounded (it may be shown to people and logs). */
  message: string;
  /** Seconds the service asked to wait (`x-amz-retry-after` in ms, else `Retry-After` as seconds or an HTTP date). */
  retryAfterSeconds: number | undefined;
}

/** The parts of an HTTP answer read here. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A service message fit for an error message: one line, printable, bounded. */
export function cleanServiceMessage(text: string): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/** The two HTTP-date forms that name their zone (RFC 9110 §5.6.7: IMF-fixdate, RFC 850), and asctime (which is GMT too). */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC_850 = /^[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` in seconds: whole seconds (digits only) or an HTTP date;
 * undefined when absent or anything else (negative, fractional, hex,
 * `Infinity`, several values, free text). How long it is honoured is the
 * caller's decision (see src/cache/retry-schedule.ts).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d{1,12}$/.test(text)) return Number(text);
  const date = IMF_FIXDATE.test(text) || RFC_850.test(text) ? Date.parse(text) : ASCTIME.test(text) ? Date.parse(`${text} GMT`) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** `x-amz-retry-after` (whole milliseconds, what AWS services send when they advise a delay) in seconds; undefined when unusable. */
export function parseAmzRetryAfter(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string" || !/^\d{1,12}$/.test(value.trim())) return undefined;
  return Number(value.trim()) / 1000;
}

/**
 * Reads an error answer the way both credential services send it: a JSON
 * body with `message` (or `Message`), or plain text, the type in
 * `x-amzn-ErrorType`, and maybe `Retry-After`.
 */
export function readErrorAnswer(response: Answer, now: number): ErrorAnswer {
  const text = response.body.toString("utf8");
  let message: string;
  try {
    const json: unknown = JSON.parse(text);
    const field = isJsonObject(json) ? (json.message ?? json.Message) : undefined;
    message = typeof field === "string" ? field : "";
  } catch {
    message = text;
  }
  const headerType = response.headers["x-amzn-errortype"];
  const errorType = typeof headerType === "string" ? headerType.split(":")[0]?.trim() || undefined : undefined;
  return {
    status: response.status,
    errorType,
    message: cleanServiceMessage(message),
    retryAfterSeconds: parseAmzRetryAfter(response.headers["x-amz-retry-after"]) ?? parseRetryAfter(response.headers["retry-after"], now),
  };
}
