import * as echarts from 'echarts';

/**
 * Charts drawn on the server as SVG with Apache ECharts (DESIGN.md: no client JavaScript; the same SVG serves pages
 * and documents). Every chart goes with its data table and a text alternative; the page puts the SVG in a
 * <figure> whose caption names it.
 *
 * The SVG ECharts writes is made safe for Warden's Content-Security-Policy (`style-src 'self'`, no
 * 'unsafe-inline'): inline `style="…"` attributes (ECharts puts fonts there) become SVG presentation attributes,
 * which CSP does not govern, and the `<style>` element (hover effects only) is dropped. ECharts' own bookkeeping
 * attributes are removed. The result has no script, no event handler and no style, which
 * `src/platform/charts.test.ts` and the browser tests check.
 */

/** NHS identity colours (service manual), in an order that keeps neighbours distinguishable. */
export const PALETTE = ['#005eb8', '#ed8b00', '#009639', '#7c2855', '#41b6e6', '#ffb81c', '#330072', '#00a499', '#ae2573', '#425563', '#8a1538', '#003087'];
const TEXT = '#212b32';
const FONT = 'Arial, sans-serif';

/** SVG presentation attributes that CSS properties from ECharts' inline styles map to; anything else is dropped. */
const PRESENTATION = new Set([
  'font-size',
  'font-family',
  'font-weight',
  'font-style',
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'opacity',
  'text-decoration',
]);

const escapeAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function styleToAttributes(style: string): string {
  const out: string[] = [];
  for (const decl of style.replace(/&quot;/g, '"').split(';')) {
    const i = decl.indexOf(':');
    if (i < 0) continue;
    const prop = decl.slice(0, i).trim().toLowerCase();
    const value = decl.slice(i + 1).trim();
    if (PRESENTATION.has(prop) && value && !/url\s*\(|expression|javascript:/i.test(value)) out.push(`${prop}="${escapeAttr(value)}"`);
  }
  return out.join(' ');
}

/**
 * Makes ECharts' SVG fit for inline use under the CSP: no style attributes or elements, no ECharts metadata, and
 * an accessible name from `labelledBy` (the ids of the figure's caption and summary).
 */
export function sanitiseSvg(svg: string, labelledBy: string): string {
  let out = svg
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/\sstyle="([^"]*)"/g, (_m, style: string) => {
      const attrs = styleToAttributes(style);
      return attrs ? ` ${attrs}` : '';
    })
    .replace(/\secmeta_[a-z_]+="[^"]*"/g, '')
    .replace(/\sclass="zr\d+-cls-\d+"/g, '')
    .replace(/\spointer-events="visible"/g, '')
    .replace(/>\s*\n\s*</g, '><');
  // Only the markup is checked: text nodes hold labels (site, department and organisation names) that ECharts has
  // escaped, and a name such as "Ward onset=1" or "javascript: training" is text, not active content. Checking it
  // too made any chart with such a name fail, and with it the whole page (the national table for every assessor).
  if (/<script|\son[a-z]+=|javascript:/i.test(out.replace(/>[^<]*</g, '><'))) throw new Error('chart SVG contains active content');
  out = out.replace(
    /^<svg /,
    `<svg role="img" aria-labelledby="${escapeAttr(labelledBy)}" focusable="false" class="warden-chart__svg" preserveAspectRatio="xMinYMin meet" `,
  );
  return out;
}

export type ChartSize = { width: number; height: number };

/**
 * Renders an ECharts option to sanitised SVG. The chart instance is always disposed: an undisposed SSR chart keeps
 * timers that stop the process from exiting.
 */
export function renderChart(option: echarts.EChartsCoreOption, size: ChartSize, labelledBy: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: FONT, color: TEXT, fontSize: 13 },
      ...option,
    });
    return sanitiseSvg(chart.renderToSVGString(), labelledBy);
  } finally {
    chart.dispose();
  }
}

export type Series = { name: string; data: (number | null)[]; type?: 'bar' | 'line'; color?: string };

/** A chart ready for a page: SVG, its caption, a one-paragraph text alternative, and ids to tie them together. */
export type Chart = { id: string; svg: string; caption: string; summary: string };

const axisLabel = { color: TEXT, fontFamily: FONT, fontSize: 12 };

/**
 * Vertical bars (stacked when `stacked`) or lines over `categories` (the x axis), with a legend when there is more
 * than one series. `markLine` draws a labelled horizontal reference (a median, say).
 */
export function columnChart(o: {
  id: string;
  caption: string;
  summary: string;
  categories: string[];
  series: Series[];
  stacked?: boolean;
  yName?: string;
  markLine?: { value: number; label: string };
  size?: ChartSize;
}): Chart {
  const legend = o.series.length > 1;
  // room under the axis for its (rotated) labels and for the legend, about four entries a line
  const legendLines = legend ? Math.ceil(o.series.length / 4) : 0;
  const bottom = (o.categories.length > 8 ? 64 : 36) + legendLines * 24;
  const size = o.size ?? { width: 760, height: 260 + bottom };
  const option = {
    grid: { left: 56, right: 24, top: 32, bottom, containLabel: false },
    legend: legend ? { bottom: 0, left: 'center', textStyle: axisLabel, itemWidth: 14, itemHeight: 10, width: size.width - 40 } : undefined,
    xAxis: {
      type: 'category',
      data: o.categories,
      axisLabel: { ...axisLabel, interval: o.categories.length > 14 ? Math.ceil(o.categories.length / 12) - 1 : 0, rotate: o.categories.length > 8 ? 30 : 0 },
      axisLine: { lineStyle: { color: '#4c6272' } },
    },
    yAxis: { type: 'value', name: o.yName, nameTextStyle: axisLabel, axisLabel, minInterval: 1, splitLine: { lineStyle: { color: '#d8dde0' } } },
    series: o.series.map((s, i) => ({
      name: s.name,
      type: s.type ?? 'bar',
      stack: o.stacked ? 'total' : undefined,
      data: s.data,
      barMaxWidth: 36,
      itemStyle: s.color ? { color: s.color } : undefined,
      lineStyle: s.type === 'line' ? { width: 3 } : undefined,
      symbolSize: 7,
      markLine:
        o.markLine && i === 0
          ? {
              symbol: 'none',
              silent: true,
              data: [{ yAxis: o.markLine.value }],
              lineStyle: { color: '#212b32', type: 'dashed', width: 2 },
              label: { formatter: o.markLine.label, position: 'insideEndTop', color: TEXT, fontFamily: FONT },
            }
          : undefined,
    })),
  };
  return { id: o.id, caption: o.caption, summary: o.summary, svg: renderChart(option, size, `${o.id}-caption ${o.id}-summary`) };
}

/** Horizontal bars, one per row (sites, departments, organisations), longest first as given. */
export function barChart(o: {
  id: string;
  caption: string;
  summary: string;
  labels: string[];
  values: (number | null)[];
  highlight?: number;
  xName?: string;
  markLine?: { value: number; label: string };
}): Chart {
  const rows = o.labels.length;
  const size = { width: 760, height: Math.max(150, 76 + rows * 26) };
  const option = {
    grid: { left: 8, right: 48, top: 28, bottom: 40, containLabel: true },
    xAxis: {
      type: 'value',
      name: o.xName,
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: axisLabel,
      axisLabel,
      splitLine: { lineStyle: { color: '#d8dde0' } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: o.labels.map((l) => (l.length > 42 ? `${l.slice(0, 40)}…` : l)),
      axisLabel,
      axisLine: { lineStyle: { color: '#4c6272' } },
    },
    series: [
      {
        type: 'bar',
        barMaxWidth: 20,
        data: o.values.map((v, i) => ({ value: v, itemStyle: { color: i === o.highlight ? '#ed8b00' : '#005eb8' } })),
        label: { show: true, position: 'right', color: TEXT, fontFamily: FONT, fontSize: 12 },
        markLine: o.markLine
          ? {
              symbol: 'none',
              silent: true,
              data: [{ xAxis: o.markLine.value }],
              lineStyle: { color: '#212b32', type: 'dashed', width: 2 },
              // the category axis runs top to bottom (inverse), so the line starts at the top: label it there
              label: { formatter: o.markLine.label, position: 'start', color: TEXT, fontFamily: FONT },
            }
          : undefined,
      },
    ],
  };
  return { id: o.id, caption: o.caption, summary: o.summary, svg: renderChart(option, size, `${o.id}-caption ${o.id}-summary`) };
}
