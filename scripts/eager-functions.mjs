import ts from "typescript";

/**
 * Makes V8 compile every top-level function of a CommonJS bundle when the file
 * is compiled, instead of at its first call: each declaration becomes a
 * parenthesised function expression (`var name = (function name() {…});`,
 * which V8 compiles eagerly), moved to the top of the file in its original
 * order — where hoisting put the declaration's value anyway, so nothing can
 * see a difference. Why: Node's compile cache keeps the code V8 produced when
 * the file was compiled, so only eagerly compiled functions are in it; the CLI
 * launcher's functions nearly all run on every call.
 */
export function eagerFunctions(code) {
  const file = ts.createSourceFile("bundle.cjs", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const moved = [];
  let rest = "";
  let from = 0;
  for (const statement of file.statements) {
    if (!ts.isFunctionDeclaration(statement) || !statement.name || !statement.body) continue;
    const start = statement.getStart(file);
    moved.push(`var ${statement.name.text} = (${code.slice(start, statement.end)});`);
    rest += code.slice(from, start);
    from = statement.end;
  }
  rest += code.slice(from);
  const prologue = rest.match(/^\s*(["'])use strict\1;?\n?/)?.[0] ?? "";
  return `${prologue}${moved.join("\n")}\n${rest.slice(prologue.length)}`;
}
