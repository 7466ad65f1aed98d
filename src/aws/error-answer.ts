import { isJsonObject } from "./json-answer.js";

/** What an AWS service said when it refused a request. */
export interface ErrorAnswer {
  status: number;
  /** The error type (`x-amzn-ErrorType`), without the `:http://internal…` suffix AWS may append. */
  errorType: string | undefined;
  /** The service's message: one line, printable, bounded (it may be shown to people and logs). */
  message: string;
  /** Seconds the service asked to wait (`Retry-After`, as seconds or an HTTP date). */
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

/** `Retry-After` in seconds: a number of seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
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
    retryAfterSeconds: parseRetryAfter(response.headers["retry-after"], now),
  };
}
