/** A rejection, carrying the status and `x-amzn-ErrorType` the real service would answer. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

export const accessDenied = (message: string) => new ServiceError(403, "AccessDeniedException", message);
export const validation = (message: string) => new ServiceError(400, "ValidationException", message);
export const notFound = (message: string) => new ServiceError(404, "ResourceNotFoundException", message);
