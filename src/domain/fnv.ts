/** 32-bit FNV-1a: a fast, stable, non-cryptographic string hash (shard and partition choice). */
export function fnv1a32(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}
