import { CARD_SCHEMES } from './pan-spellings';

/**
 * The test oracle of PCI-2's scheme table: true when the ASCII digit string's prefix and length
 * fit a card scheme of CARD_SCHEMES (Luhn aside). An independent reading of the table the
 * identifier evidence of src/domain/pan.ts applies.
 */
export function fitsCardScheme(digits: string): boolean {
  if (!/^[0-9]{13,19}$/.test(digits)) return false;
  return CARD_SCHEMES.some(
    (scheme) =>
      scheme.lengths.includes(digits.length) &&
      scheme.prefixes.some(([low, high]) => {
        const head = digits.slice(0, low.length);
        return head >= low && head <= high;
      }),
  );
}
