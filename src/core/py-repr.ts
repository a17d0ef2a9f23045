/** Python's printing of the values that module reprs show (PyTorch's extra_repr strings). */

/** Python's repr of a float: 0.1, 1.0, 1e-05, 1.5e+16 (shortest round trip, as both languages). */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const [mantissa, e] = x.toExponential().split("e") as [string, string];
  const exp = Number(e);
  if (exp >= -4 && exp < 16) return Number.isInteger(x) ? x.toFixed(1) : String(x);
  return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** True / False. */
export const pyBool = (v: boolean): string => (v ? "True" : "False");
