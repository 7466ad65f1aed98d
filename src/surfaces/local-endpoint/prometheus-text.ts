/**
 * The Prometheus text exposition format, version 0.0.4: just what serve's
 * metrics need (counters with labels, one histogram, gauges read at scrape
 * time), without a client library.
 */

/** The Content-Type of the text format, as Prometheus asks for it. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";

/** One line of a family: its name (the family's, or with `_bucket`, `_sum`, `_count`), labels and value. */
export interface Sample {
  name?: string;
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/**
 * A label value between double quotes. The format escapes a backslash, a
 * double quote and a line feed; other control characters (which some
 * parsers refuse) become U+FFFD. Values come from certificates, which whoever
 * issued them chose: nothing in them may end the value or the line.
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, "\uFFFD").replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text escapes a backslash and a line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** A sample value as the format writes it (Go's float syntax: `+Inf`, `-Inf`, `NaN`). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (!labels) return "";
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/** Builds one exposition: each family with its HELP and TYPE lines, then its samples. */
export class ExpositionWriter {
  private readonly lines: string[] = [];

  family(name: string, type: MetricType, help: string, samples: readonly Sample[]): this {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const sample of samples) this.lines.push(`${sample.name ?? name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    return this;
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** A counter with labels; a series exists once counted (or declared with 0). */
export class LabelledCounter<L extends string> {
  private readonly series = new Map<string, { labels: Record<L, string>; value: number }>();

  constructor(private readonly labelNames: readonly L[]) {}

  inc(labels: Record<L, string>, by = 1): void {
    const key = JSON.stringify(this.labelNames.map((name) => labels[name]));
    const found = this.series.get(key);
    if (found) found.value += by;
    else this.series.set(key, { labels: { ...labels }, value: by });
  }

  /** The value of one series, 0 when never counted. */
  get(labels: Record<L, string>): number {
    return this.series.get(JSON.stringify(this.labelNames.map((name) => labels[name])))?.value ?? 0;
  }

  samples(): Sample[] {
    return [...this.series.values()].map(({ labels, value }) => ({ labels, value }));
  }
}

/** A histogram without labels: cumulative buckets (upper bounds), their sum and count. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    private readonly name: string,
    private readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    for (const [i, bound] of this.buckets.entries()) if (value <= bound) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  samples(): Sample[] {
    return [
      ...this.buckets.map((bound, i) => ({ name: `${this.name}_bucket`, labels: { le: formatValue(bound) }, value: this.counts[i]! })),
      { name: `${this.name}_bucket`, labels: { le: "+Inf" }, value: this.count },
      { name: `${this.name}_sum`, value: this.sum },
      { name: `${this.name}_count`, value: this.count },
    ];
  }
}
