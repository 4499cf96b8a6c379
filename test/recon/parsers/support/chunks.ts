/**
 * `text` cut at `cuts` (each taken modulo text.length + 1, duplicates dropped): the chunks a
 * streaming parser is pushed in a chunking property test. Empty chunks are kept (a cut at 0, or at
 * the end, is a chunk of its own), so a parser also meets an empty push.
 */
export function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  chunks.push(text.slice(from));
  return chunks;
}
