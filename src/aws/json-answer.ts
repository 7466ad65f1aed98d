import { ResponseFormatError } from "../core/errors.js";

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The JSON of a success answer, or a ResponseFormatError with `notJson` —
 * never quoting the body, which holds secrets when it is a real answer.
 */
export function parseJsonAnswer(body: Buffer, service: string, notJson: string): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ResponseFormatError(service, notJson);
  }
}
