import type { CertificateInfo } from "../core/events.js";
import type { CredentialSource, FetchContext, TemporaryCredentials } from "../core/credentials.js";
import { loadTlsAhead } from "../transport/node-http.js";

/**
 * A mechanism's source whose code is imported at the first fetch. Options are
 * checked when the session is made (errors stay synchronous); the signing,
 * TLS, identity and answer-parsing code is only parsed by a process that
 * asks for credentials, and only for the mechanism it uses — importing
 * certcreds costs what its API surface costs, not both mechanisms.
 */
export class DeferredSource<Source extends CredentialSource> implements CredentialSource {
  private opening: Promise<Source> | undefined;
  private closed = false;
  /** The source once its module loaded (for diagnostics such as TLS handshake counts). */
  loaded: Source | undefined;

  constructor(
    readonly name: string,
    private readonly create: () => Promise<Source>,
  ) {}

  private open(): Promise<Source> {
    if (!this.opening) {
      // Every mechanism connects over TLS: Node's root certificates load on their thread meanwhile.
      loadTlsAhead();
      const opening = this.create().then(async (source) => {
        // Closed before the first fetch: the source answers as a closed one does (its identity says so).
        if (this.closed) await source.close?.();
        this.loaded = source;
        return source;
      });
      this.opening = opening;
      // A failed import (a package broken on disk) is tried again at the next fetch.
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined;
      });
    }
    return this.opening;
  }

  async fetchCredentials(context?: FetchContext): Promise<TemporaryCredentials> {
    return (await this.open()).fetchCredentials(context);
  }

  certificates(): readonly CertificateInfo[] | undefined {
    return this.loaded?.certificates?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const source = await this.opening?.catch(() => undefined);
    await source?.close?.();
  }
}
