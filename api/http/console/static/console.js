/* global document, navigator, getSelection, ResizeObserver */
/*
 * Outpost console: small progressive enhancement over pages that work without
 * it. Copy buttons (hidden until this runs), and the overview's chart (uPlot,
 * served from /ui/assets, loaded only on pages that have a chart). No inline
 * script anywhere: the Content-Security-Policy allows only files from /ui.
 */

const announcer = document.getElementById('announcer');

function announce(text) {
  if (!announcer) return;
  announcer.textContent = '';
  // a fresh text is read out even when it repeats the last one
  setTimeout(() => { announcer.textContent = text; }, 50);
}

for (const button of document.querySelectorAll('button.copy[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      const label = button.textContent;
      button.textContent = 'Copied';
      announce('Copied to the clipboard');
      setTimeout(() => { button.textContent = label; }, 1500);
    } catch {
      // no clipboard permission: select the text so it can be copied by hand
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      announce('Selected: press Ctrl+C or Command+C to copy');
    }
  });
}

/* Each series has its own colour and dash, so the lines differ without colour too. */
const SERIES_STYLES = [
  { stroke: '#1a7f37', dash: [] },
  { stroke: '#cf222e', dash: [8, 4] },
  { stroke: '#8250df', dash: [2, 3] },
  { stroke: '#0969da', dash: [12, 4, 2, 4] },
  { stroke: '#9a6700', dash: [4, 4] },
];

async function drawCharts() {
  const charts = document.querySelectorAll('[data-chart]');
  if (charts.length === 0) return;
  const { default: uPlot } = await import('./uPlot.esm.js');
  for (const element of charts) {
    const chart = JSON.parse(element.dataset.chart);
    const options = {
      width: element.clientWidth,
      height: Math.max(220, Math.min(320, Math.round(element.clientWidth * 0.5))),
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
      axes: [
        {
          stroke: '#3d3d3d',
          grid: { stroke: '#e4e4e4' },
          ticks: { stroke: '#c8c8c8' },
          // ticks on whole intervals only, labelled as the table below labels them
          incrs: chart.interval === 'hour' ? [3600, 7200, 10800, 21600, 43200, 86400] : [86400, 172800, 604800, 1209600, 2592000],
          values: (_plot, splits) => splits.map((seconds) => {
            const iso = new Date(seconds * 1000).toISOString();
            return chart.interval === 'hour' ? iso.slice(11, 16) : iso.slice(5, 10);
          }),
        },
        // counts: whole numbers on the axis
        { stroke: '#3d3d3d', grid: { stroke: '#e4e4e4' }, ticks: { stroke: '#c8c8c8' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7] },
      ],
      legend: { live: false },
      series: [
        { label: chart.interval === 'hour' ? 'Hour (UTC)' : 'Day (UTC)', value: chart.interval === 'hour' ? '{YYYY}-{MM}-{DD} {HH}:00' : '{YYYY}-{MM}-{DD}' },
        ...chart.series.map((series, index) => ({
          label: series.label,
          width: 2,
          points: { show: chart.times.length <= 40, size: 5 },
          ...SERIES_STYLES[index % SERIES_STYLES.length],
        })),
      ],
    };
    const plot = new uPlot(options, [chart.times, ...chart.series.map((series) => series.values)], element);
    element.dataset.drawn = 'true';
    new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: options.height })).observe(element);
  }
}

drawCharts().catch((error) => {
  console.error('chart failed', error);
});
