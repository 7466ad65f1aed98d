/** An STS error: HTTP status, `Sender`/`Receiver` type and error code, as in STS's ErrorResponse. */
export class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: "Sender" | "Receiver" = "Sender",
  ) {
    super(message);
  }
}
