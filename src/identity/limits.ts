/** The largest certificate, chain, key or CA bundle file read (a full public CA bundle is about 0.2 MiB). */
export const MAX_MATERIAL_BYTES = 2 * 1024 * 1024;
