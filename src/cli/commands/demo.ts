/**
 * `certcreds demo`: the demo lives with the emulators it drives, outside the
 * library; it is imported only when the command runs.
 */
export async function runDemo(argv: string[]): Promise<number> {
  const { runDemo: run } = await import("../../../testing/demo/run-demo.js");
  return run(argv);
}
