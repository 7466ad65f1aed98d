import { ConfigurationError } from "../core/errors.js";
import { showValue } from "../core/show-value.js";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Whether a string looks like an AWS region name (`us-east-1`, `us-gov-west-1`...). */
export function isRegion(value: string): boolean {
  return REGION.test(value);
}

/** A region option, checked: a ConfigurationError naming `option` for anything that is not a region name. */
export function checkRegion(value: unknown, option = "region"): string {
  if (typeof value !== "string" || !isRegion(value)) {
    throw new ConfigurationError(option, `${option} ${showValue(value)} is not an AWS region name (e.g. us-east-1).`);
  }
  return value;
}
