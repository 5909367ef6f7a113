// The bench's statistics over its interleaved runs.

/** The `q` quantile of `xs`, linear between neighbours (0.5: the median). */
export function quantile(xs: readonly number[], q: number): number {
    const s = [...xs].sort((a, b) => a - b);
    const at = (s.length - 1) * q;
    return s[Math.floor(at)] + (s[Math.ceil(at)] - s[Math.floor(at)]) * (at - Math.floor(at));
}

/** The middle of `xs`: the mean of the two middle values for an even count. */
export const median = (xs: readonly number[]): number => quantile(xs, 0.5);
