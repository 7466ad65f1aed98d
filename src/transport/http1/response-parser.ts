import type { IncomingHttpHeaders } from "node:http";

/** An HTTP/1.1 answer read in full, and whether its connection may carry another request. */
export interface ParsedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Framed by Content-Length or chunked, HTTP/1.1, no `Connection: close`, nothing after it. */
  reusable: boolean;
}

/** The bytes are not an HTTP/1.1 answer (or break a limit of the head): `code` as Node's parser names such errors. */
export class HttpParseError extends Error {
  readonly code = "HPE_INVALID";
}

/** The connection ended before a whole answer: the error Node's client gives then, classified as a reset. */
export function closedBeforeAnswer(): Error {
  return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
}

/** The body grew past the cap; the caller says so in its own words. */
export class BodyTooLargeError extends Error {}

/** The answer's limits; the head one is Node's default (`--max-http-header-size`). */
export interface ParserLimits {
  maxHeadBytes: number;
  maxBodyBytes: number;
  /** HEAD answers have no body whatever their headers say. */
  method: string;
  /** Called once, when the final status line and headers were read. */
  onHead?: () => void;
}

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");
/** RFC 9110 token characters (header names). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A chunk size of at most 13 hex digits (below 2^52): anything longer is hostile, and the body cap is far smaller. */
const CHUNK_SIZE = /^[0-9A-Fa-f]{1,13}$/;
const MAX_CHUNK_LINE = 4096;

type Framing = { kind: "length"; remaining: number } | { kind: "chunked" } | { kind: "close" } | { kind: "none" };
type ChunkState = "size" | "data" | "data-end" | "trailers";

/**
 * Reads one HTTP/1.1 answer from the bytes of a connection, strictly and
 * within bounds: the status line and headers within `maxHeadBytes`, the body
 * within `maxBodyBytes`, framed by Content-Length, chunked transfer coding or
 * the end of the connection (RFC 9112 §6.3). Interim 1xx answers are skipped.
 * Anything else — obsolete line folding, a bad header name, conflicting
 * lengths, a malformed chunk — is an {@link HttpParseError}: the bytes come
 * from the network and are not trusted.
 */
export class ResponseParser {
  private pending: Buffer = Buffer.alloc(0);
  private status = 0;
  private headers: IncomingHttpHeaders = Object.create(null);
  private framing: Framing | undefined;
  private keepAlive = false;
  private readonly body: Buffer[] = [];
  private bodyBytes = 0;
  private chunkState: ChunkState = "size";
  private chunkRemaining = 0;
  private trailerBytes = 0;
  private received = false;
  /** Where the search for the end of the head resumes: bytes dribbled one at a time are searched once, not again at each. */
  private headScanned = 0;

  constructor(private readonly limits: ParserLimits) {}

  /** Whether any byte of an answer arrived (a reused connection that fails before one may be retried). */
  get started(): boolean {
    return this.received;
  }

  /** Feeds bytes; returns the answer once complete. */
  push(chunk: Buffer): ParsedResponse | undefined {
    if (chunk.length > 0) this.received = true;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.framing === undefined) {
      if (!this.readHead()) return undefined;
    }
    return this.readBody();
  }

  /** The peer closed its side: the answer if it is complete (a close-delimited body ends here), else an error. */
  end(): ParsedResponse {
    if (this.framing?.kind === "close") return this.result(false);
    throw closedBeforeAnswer();
  }

  /** One head (status line and headers); false until all of it arrived. */
  private readHead(): boolean {
    const end = this.pending.indexOf(HEAD_END, this.headScanned);
    if (end < 0) {
      if (this.pending.length > this.limits.maxHeadBytes) throw new HttpParseError(`the answer's headers are larger than ${this.limits.maxHeadBytes} bytes`);
      this.headScanned = Math.max(0, this.pending.length - (HEAD_END.length - 1));
      return false;
    }
    this.headScanned = 0;
    if (end + 4 > this.limits.maxHeadBytes) throw new HttpParseError(`the answer's headers are larger than ${this.limits.maxHeadBytes} bytes`);
    const lines = this.pending.subarray(0, end).toString("latin1").split("\r\n");
    this.pending = this.pending.subarray(end + 4);
    const statusLine = lines[0]!;
    const version = statusLine.slice(0, 9);
    const status = Number(statusLine.slice(9, 12));
    if (
      (version !== "HTTP/1.1 " && version !== "HTTP/1.0 ") ||
      !/^\d{3}$/.test(statusLine.slice(9, 12)) ||
      (statusLine.length > 12 && statusLine[12] !== " ")
    ) {
      throw new HttpParseError(`the answer does not start with an HTTP/1.1 status line (${JSON.stringify(statusLine.slice(0, 40))})`);
    }
    // No prototype: a header named __proto__ or constructor is a header like any other (the names come from the network).
    const headers: IncomingHttpHeaders = Object.create(null);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      if (colon <= 0 || !TOKEN.test(name)) throw new HttpParseError(`the answer has a malformed header line (${JSON.stringify(line.slice(0, 40))})`);
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
      if (/[\0\r\n]/.test(value)) throw new HttpParseError(`the answer's ${name} header holds a control character`);
      const previous = Object.hasOwn(headers, name) ? headers[name] : undefined;
      if (name === "set-cookie") headers[name] = [...((previous as string[] | undefined) ?? []), value];
      else headers[name] = previous === undefined ? value : `${previous}, ${value}`;
    }
    if (status >= 100 && status < 200) {
      // 100 Continue and other interim answers precede the real one; 101 would switch protocols, which was not asked for.
      if (status === 101) throw new HttpParseError("the server switched protocols unasked (101)");
      return true;
    }
    this.status = status;
    this.headers = headers;
    this.keepAlive = version === "HTTP/1.1 " && !/(^|,)\s*close\s*(,|$)/i.test(String(headers.connection ?? ""));
    this.framing = this.framingOf(status, headers);
    this.limits.onHead?.();
    return true;
  }

  /** RFC 9112 §6.3, in its order: no body, chunked, Content-Length, else until the connection closes. */
  private framingOf(status: number, headers: IncomingHttpHeaders): Framing {
    if (this.limits.method === "HEAD" || status === 204 || status === 304) return { kind: "none" };
    const coding = headers["transfer-encoding"];
    if (coding !== undefined) {
      // The last coding decides; a Content-Length beside it is ignored, and the connection not reused (RFC 9112 §6.3).
      const last = String(coding).split(",").at(-1)!.trim().toLowerCase();
      if (headers["content-length"] !== undefined) this.keepAlive = false;
      return last === "chunked" ? { kind: "chunked" } : { kind: "close" };
    }
    const length = headers["content-length"];
    if (length !== undefined) {
      const values = new Set(
        String(length)
          .split(",")
          .map((v) => v.trim()),
      );
      const [only] = values;
      if (values.size !== 1 || !/^\d{1,15}$/.test(only!))
        throw new HttpParseError(`the answer's Content-Length is not one number (${JSON.stringify(String(length).slice(0, 40))})`);
      const remaining = Number(only);
      if (remaining > this.limits.maxBodyBytes) throw new BodyTooLargeError();
      return { kind: "length", remaining };
    }
    return { kind: "close" };
  }

  private readBody(): ParsedResponse | undefined {
    const framing = this.framing!;
    switch (framing.kind) {
      case "none":
        return this.result(this.pending.length === 0);
      case "length": {
        const take = Math.min(framing.remaining, this.pending.length);
        this.append(this.pending.subarray(0, take));
        framing.remaining -= take;
        this.pending = this.pending.subarray(take);
        return framing.remaining === 0 ? this.result(this.pending.length === 0) : undefined;
      }
      case "close":
        this.append(this.pending);
        this.pending = Buffer.alloc(0);
        return undefined;
      case "chunked":
        return this.readChunks();
    }
  }

  private readChunks(): ParsedResponse | undefined {
    for (;;) {
      if (this.chunkState === "data") {
        const take = Math.min(this.chunkRemaining, this.pending.length);
        this.append(this.pending.subarray(0, take));
        this.chunkRemaining -= take;
        this.pending = this.pending.subarray(take);
        if (this.chunkRemaining > 0) return undefined;
        this.chunkState = "data-end";
        continue;
      }
      const line = this.line();
      if (line === undefined) return undefined;
      if (this.chunkState === "data-end") {
        if (line !== "") throw new HttpParseError("a chunk of the answer is longer than its size says");
        this.chunkState = "size";
      } else if (this.chunkState === "size") {
        const size = line.split(";")[0]!.trim();
        if (!CHUNK_SIZE.test(size)) throw new HttpParseError(`the answer has a malformed chunk size (${JSON.stringify(line.slice(0, 20))})`);
        this.chunkRemaining = Number.parseInt(size, 16);
        if (this.bodyBytes + this.chunkRemaining > this.limits.maxBodyBytes) throw new BodyTooLargeError();
        this.chunkState = this.chunkRemaining === 0 ? "trailers" : "data";
      } else {
        // Trailer fields are read past, within the head's limit; an empty line ends the answer.
        if (line === "") return this.result(this.pending.length === 0);
        this.trailerBytes += line.length + 2;
        if (this.trailerBytes > this.limits.maxHeadBytes) throw new HttpParseError(`the answer's trailers are larger than ${this.limits.maxHeadBytes} bytes`);
      }
    }
  }

  /** The next CRLF-terminated line of the chunked framing, or undefined until it arrived (bounded). */
  private line(): string | undefined {
    const end = this.pending.indexOf(CRLF);
    if (end < 0) {
      if (this.pending.length > MAX_CHUNK_LINE) throw new HttpParseError("the answer has a chunk line longer than 4096 bytes");
      return undefined;
    }
    if (end > MAX_CHUNK_LINE) throw new HttpParseError("the answer has a chunk line longer than 4096 bytes");
    const text = this.pending.subarray(0, end).toString("latin1");
    this.pending = this.pending.subarray(end + 2);
    return text;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.bodyBytes += bytes.length;
    if (this.bodyBytes > this.limits.maxBodyBytes) throw new BodyTooLargeError();
    this.body.push(bytes);
  }

  /** `clean`: no byte followed the answer (a server that sends more than it framed gets no second request). */
  private result(clean: boolean): ParsedResponse {
    return {
      status: this.status,
      headers: this.headers,
      body: this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body),
      reusable: this.keepAlive && clean && this.framing?.kind !== "close",
    };
  }
}
