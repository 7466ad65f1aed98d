import { ConfigurationError } from "../core/errors.js";
import { showValue } from "../core/show-value.js";
import { isRegion } from "./region.js";

/** The parts of an ARN certcreds cares about. */
export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resourceType: string;
  resourceId: string;
}

const ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):([^/:]+)[/:](.+)$/;

const EXAMPLES: Record<string, string> = {
  "trust-anchor": "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/<uuid>",
  profile: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/<uuid>",
  role: "arn:aws:iam::123456789012:role/<name>",
};

/**
 * Parses an ARN and checks its service and resource type, naming the option
 * and showing the expected shape when it is wrong.
 */
export function parseArn(value: unknown, option: string, service: string, resourceType: string): ParsedArn {
  const expected = `Expected an ARN like ${EXAMPLES[resourceType] ?? `arn:aws:${service}:...`}.`;
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigurationError(option, `${option} is required. ${expected}`);
  }
  const match = ARN.exec(value.trim());
  if (!match) {
    throw new ConfigurationError(option, `${option} ${showValue(value)} is not a valid ARN. ${expected}`);
  }
  const [, partition, arnService, region, accountId, type, id] = match as unknown as string[];
  if (arnService !== service || type !== resourceType) {
    throw new ConfigurationError(option, `${option} "${value}" is a ${arnService} ${type} ARN, not a ${service} ${resourceType} ARN. ${expected}`);
  }
  const regional = service !== "iam";
  if (regional && !isRegion(region!)) {
    throw new ConfigurationError(option, `${option} "${value}" has no valid region. ${expected}`);
  }
  if (!accountId) {
    throw new ConfigurationError(option, `${option} "${value}" has no 12-digit account id. ${expected}`);
  }
  return { partition: partition!, service, region: region!, accountId, resourceType, resourceId: id! };
}
