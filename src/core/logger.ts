/**
 * The logger shape of the AWS SDK v3 (`console` fits). certcreds never passes
 * a private key, PIN, passphrase, secret access key or session token to it.
 */
export interface Logger {
  debug?(...content: unknown[]): void;
  info?(...content: unknown[]): void;
  warn?(...content: unknown[]): void;
  error?(...content: unknown[]): void;
}
