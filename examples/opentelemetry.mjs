// certcreds' refresh events as OpenTelemetry metrics: the `observer` option of a session or provider.
//
// Run against the emulators:  certcreds emulate --dir ~/certcreds-try   (in another terminal)
//                             . ~/certcreds-try/env && node examples/opentelemetry.mjs
// In your project: npm install certcreds @aws-sdk/client-sts @opentelemetry/api @opentelemetry/sdk-metrics,
// and give the MeterProvider the exporter you use (OTLP, Prometheus) instead of the reader below.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { metrics } from "@opentelemetry/api";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { RolesAnywhereSession } from "certcreds";

/** A reader this program collects from itself, to print what an exporter would send. */
class PrintingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new PrintingReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

// The instruments, named as certcreds serve's /metrics names them (docs/observability.md).
const meter = metrics.getMeter("certcreds-example");
const refreshes = meter.createCounter("certcreds_refreshes", { description: "Credential refreshes by outcome" });
const duration = meter.createHistogram("certcreds_refresh_duration", { unit: "s", description: "How long a refresh took" });
const stale = meter.createCounter("certcreds_served_while_stale", { description: "Cached credentials served after a refresh failed or lagged" });
const expiring = meter.createCounter("certcreds_certificate_expiry_warnings", { description: "Certificates seen close to their end" });
let expiresAt = 0;
meter
  .createObservableGauge("certcreds_credentials_expiry", { unit: "s", description: "Seconds until the cached credentials expire" })
  .addCallback((result) => result.observe(Math.max(0, (expiresAt - Date.now()) / 1000)));

/** @param {import("certcreds").CredentialEvent} event */
function observe(event) {
  const attributes = { mechanism: event.mechanism };
  switch (event.type) {
    case "refresh-succeeded":
      expiresAt = event.expiration.getTime();
    // falls through: a success is counted and timed like a failure
    case "refresh-failed":
      refreshes.add(1, { ...attributes, outcome: event.outcome });
      duration.record(event.durationMs / 1000, { ...attributes, outcome: event.outcome });
      break;
    case "certificate-expiring":
      expiring.add(1, { ...attributes, certificate: event.certificate.role, days_left: event.daysLeft });
      break;
    case "served-while-stale":
      stale.add(1, attributes);
      break;
  }
}

const env = process.env;
const session = new RolesAnywhereSession({
  certificate: env.CERTCREDS_RA_CERTIFICATE,
  privateKey: env.CERTCREDS_RA_PRIVATE_KEY,
  certificateChain: env.CERTCREDS_RA_INTERMEDIATES,
  trustAnchorArn: env.CERTCREDS_RA_TRUST_ANCHOR_ARN,
  profileArn: env.CERTCREDS_RA_PROFILE_ARN,
  roleArn: env.CERTCREDS_RA_ROLE_ARN,
  ...(env.CERTCREDS_RA_ENDPOINT ? { endpoint: env.CERTCREDS_RA_ENDPOINT } : {}),
  observer: observe,
});

const sts = new STSClient({ region: env.AWS_REGION ?? "us-east-1", credentials: session.provider });
const caller = await sts.send(new GetCallerIdentityCommand({}));
console.log(`Roles Anywhere: ${caller.Arn}`);
sts.destroy();
await session.close();

// What an exporter would send now.
const { resourceMetrics } = await reader.collect();
for (const metric of resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)) {
  for (const point of metric.dataPoints) {
    const labels = Object.entries(point.attributes)
      .map(([key, value]) => `${key}="${value}"`)
      .join(",");
    const value = typeof point.value === "number" ? point.value.toFixed(metric.descriptor.unit === "s" ? 3 : 0) : `count=${point.value.count}`;
    console.log(`${metric.descriptor.name}{${labels}} ${value}`);
  }
}
