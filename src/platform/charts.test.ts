import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as echarts from 'echarts';
import { barChart, columnChart, renderChart, sanitiseSvg } from './charts.ts';

describe('server-side SVG charts', () => {
  const chart = columnChart({
    id: 'by-month',
    caption: 'Incidents by month',
    summary: '8 incidents in two months',
    categories: ['Jan 2026', 'Feb 2026'],
    series: [
      { name: 'Physical assault', data: [3, 2] },
      { name: 'Theft "<b>x</b>"', data: [1, 2] },
    ],
    stacked: true,
    markLine: { value: 2.5, label: 'median 2.5' },
  });

  test('raw ECharts SVG has inline styles and a style element, which the CSP (style-src self) blocks; rendered charts have neither', () => {
    const option = { xAxis: { type: 'category', data: ['a'] }, yAxis: {}, series: [{ type: 'bar', data: [1] }] };
    const raw = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 200, height: 100 });
    raw.setOption(option);
    const svg = raw.renderToSVGString();
    raw.dispose();
    assert.match(svg, /\sstyle="font-size/);
    assert.match(svg, /<style/);
    const safe = renderChart(option, { width: 200, height: 100 }, 'x');
    assert.doesNotMatch(safe, /\sstyle="/);
    assert.doesNotMatch(safe, /<style/);
  });

  test('the chart is an SVG image named by its caption and summary, with no style attribute, style element or script', () => {
    assert.match(chart.svg, /^<svg role="img" aria-labelledby="by-month-caption by-month-summary" focusable="false"/);
    assert.match(chart.svg, /viewBox="0 0 760 \d+"/);
    assert.doesNotMatch(chart.svg, /\sstyle=/);
    assert.doesNotMatch(chart.svg, /<style/);
    assert.doesNotMatch(chart.svg, /<script|\son[a-z]+=/i);
    assert.doesNotMatch(chart.svg, /ecmeta_/);
    // the fonts ECharts put in style attributes are presentation attributes now
    assert.match(chart.svg, /<text [^>]*font-size="12px" font-family="Arial, sans-serif"/);
  });

  test('labels are escaped: a series named with markup is text in the SVG', () => {
    assert.match(chart.svg, /Theft &quot;&lt;b&gt;x&lt;\/b&gt;&quot;|Theft "&lt;b&gt;x&lt;\/b&gt;"/);
    assert.doesNotMatch(chart.svg, /<b>/);
  });

  test('a name that reads like an attribute or a script address is drawn as text, not refused (the page would fail)', () => {
    const names = ['Ward 7 onset=1 "x"', 'javascript: awareness course', '<script>alert(1)</script>'];
    const bars = barChart({ id: 'odd', caption: 'By site', summary: 's', labels: names, values: [3, 2, 1] });
    assert.match(bars.svg, />Ward 7 onset=1 &quot;x&quot;</);
    assert.match(bars.svg, />javascript: awareness course</);
    assert.match(bars.svg, />&lt;script&gt;alert\(1\)&lt;\/script&gt;</);
    assert.doesNotMatch(bars.svg, /<script/);
    assert.doesNotMatch(bars.svg.replace(/>[^<]*</g, '><'), /\son[a-z]+=|javascript:/i);
  });

  test('horizontal bars draw one labelled bar per row, the highlighted one in orange', () => {
    const bars = barChart({ id: 'sites', caption: 'By site', summary: 's', labels: ['North', 'South', 'East'], values: [5, 3, 1], highlight: 1 });
    assert.match(bars.svg, /fill="#ed8b00"/);
    for (const label of ['North', 'South', 'East']) assert.match(bars.svg, new RegExp(`>${label}<`));
  });

  test('sanitising turns style declarations into presentation attributes and drops anything else', () => {
    const out = sanitiseSvg(
      '<svg width="1"><text style="font-size:12px;font-family:&quot;Frutiger&quot;, Arial;fill:url(javascript:x);position:absolute;"></text><style>.a{}</style></svg>',
      'cap',
    );
    assert.equal(
      out,
      '<svg role="img" aria-labelledby="cap" focusable="false" class="warden-chart__svg" preserveAspectRatio="xMinYMin meet" width="1"><text font-size="12px" font-family="&quot;Frutiger&quot;, Arial"></text></svg>',
    );
    assert.throws(() => sanitiseSvg('<svg><a href="javascript:alert(1)"></a></svg>', 'x'), /active content/);
  });
});
