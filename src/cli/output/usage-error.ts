/**
 * A command line the CLI cannot run: unknown flag, missing value, both or
 * neither mechanism. Exit code 2. Kept import-free for the warm path.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A problem in the configuration the user wrote (config file, environment,
 * flag values that cannot be used). Exit code 3, like the library's
 * ConfigurationError and input errors.
 */
export class CliConfigurationError extends Error {
  readonly exitCode = 3;
  constructor(message: string) {
    super(message);
    this.name = "CliConfigurationError";
  }
}
