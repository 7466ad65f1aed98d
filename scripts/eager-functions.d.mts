/** See eager-functions.mjs: every top-level function declaration of a CommonJS bundle as an eagerly compiled expression. */
export function eagerFunctions(code: string): string;
