import { formatUnits } from "../format.js";
import { html, type SafeHtml } from "../html.js";

/**
 * Paid volume per day as an inline SVG bar chart, rendered on the server: readable without
 * JavaScript, no chart library. A table with the same numbers follows it for screen readers.
 */

const WIDTH = 640;
const HEIGHT = 200;
const PADDING_BOTTOM = 24;
const PADDING_TOP = 16;
const DAY_MS = 86_400_000;

export interface DayVolume {
  day: string;
  amount: bigint;
  count: number;
}

/** The last `days` UTC days ending today, with zero for days without payments. */
export function fillDays(volume: DayVolume[], days: number, today = new Date()): DayVolume[] {
  const byDay = new Map(volume.map((v) => [v.day, v]));
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - (days - 1) * DAY_MS;
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(start + i * DAY_MS).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, amount: 0n, count: 0 };
  });
}

export function volumeChart(days: DayVolume[], label: string): SafeHtml {
  const max = days.reduce((m, d) => (d.amount > m ? d.amount : m), 0n);
  const slot = WIDTH / Math.max(days.length, 1);
  const usable = HEIGHT - PADDING_BOTTOM - PADDING_TOP;
  const bars = days.map((d, i) => {
    // Scale in bigint (per mille of the maximum), so huge amounts never lose precision as floats.
    const height = max === 0n ? 0 : Number((d.amount * 1000n) / max) * usable / 1000;
    const x = i * slot + slot * 0.15;
    const y = HEIGHT - PADDING_BOTTOM - height;
    return html`<g><title>${d.day}: ${formatUnits(d.amount)} (${d.count})</title><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${height.toFixed(1)}" fill="#1d4ed8"></rect>${
      i % 2 === 0 || days.length <= 7 ? html`<text x="${(i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - 6}" font-size="11" text-anchor="middle" fill="#1f2937">${d.day.slice(5)}</text>` : ""
    }</g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}">
<line x1="0" y1="${HEIGHT - PADDING_BOTTOM}" x2="${WIDTH}" y2="${HEIGHT - PADDING_BOTTOM}" stroke="#6b7280"></line>
${bars}
<text x="4" y="12" font-size="11" fill="#1f2937">max ${formatUnits(max)}</text>
</svg>`;
}
