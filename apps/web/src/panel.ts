/**
 * The live panel: what the page's peer is doing, as small plots one can glance at rather than
 * numbers one must read. Envelopes seen and accepted per second, drops per second by reason,
 * the PoW time of each message sent, and peers, over a rolling window of the last minutes,
 * sampled once a second from the page's {@link PageMetrics}.
 *
 * Canvases say nothing to a screen reader, so every chart is a `<figure>` whose plot carries an
 * aria-label summarising its current numbers in words, with a `<figcaption>`; a small table
 * gives the same numbers as text.
 *
 * This module is meant to be loaded on demand (`await import('./panel.js')`): it alone pulls in
 * uPlot and its stylesheet, so the first screen carries neither. It imports nothing from the
 * page at run time but the metric names, which the page's first chunk holds anyway.
 */
// Vite's client types declare stylesheet imports, which TypeScript otherwise refuses.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { DROP_REASONS, GOSSIP_METRICS, type PageMetrics, type PowTime } from './page-metrics.js';

/** What the panel reads, once a second. */
export interface PanelFeed {
  /** The page's metrics, the ones passed to `createGossipNode` (and its PoW timings). */
  readonly metrics: PageMetrics;
  /** Gossip peers connected now. */
  peers(): number;
  /** PoW timings, oldest first; default `metrics.powTimes()`. */
  powTimes?(): readonly PowTime[];
}

/** Settings of the panel. */
export interface LivePanelOptions {
  /** Seconds of history the charts show (default 180; 30 to 600). */
  readonly windowSeconds?: number;
  /** Milliseconds between samples (default 1000). */
  readonly intervalMs?: number;
  /** Chart height in CSS pixels (default 120). */
  readonly chartHeight?: number;
}

/** A running panel. */
export interface LivePanel {
  /** Stops sampling, destroys the charts and removes the panel from its container. */
  stop(): void;
}

// One colour per line, distinguishable for the common colour-vision deficiencies (Okabe–Ito).
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442'];
const colour = (i: number) => PALETTE[i % PALETTE.length]!;
/** Seconds between time ticks, the first at least a quarter of the window. */
const TICK_STEPS = [10, 15, 30, 60, 120, 300];

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** Totals since the page opened, as the metrics hold them. */
export interface PanelTotals {
  readonly seen: number;
  readonly accepted: number;
  readonly duplicate: number;
  /** Drops by reason, every reason of {@link DROP_REASONS} first (zero or not). */
  readonly dropped: ReadonlyMap<string, number>;
  readonly peerErrors: number;
  readonly pool: number;
  readonly peers: number;
}

/**
 * The panel's data: per-second rates over a rolling window, computed from the differences of
 * the metrics' totals between samples. Kept apart from the drawing so it can be checked
 * without a DOM.
 */
export class PanelWindow {
  /** Sample times, seconds since the epoch (uPlot's time unit), oldest first. */
  readonly time: number[] = [];
  readonly seen: number[] = [];
  readonly accepted: number[] = [];
  readonly duplicate: number[] = [];
  /** Drops per second by reason; a reason first seen later is filled with zeros before. */
  readonly drops = new Map<string, number[]>();
  readonly peers: number[] = [];
  private readonly feed: PanelFeed;
  private readonly windowSeconds: number;
  private previous: { at: number; totals: PanelTotals };

  /** Takes the first reading now: rates start with the next sample. */
  constructor(feed: PanelFeed, windowSeconds: number, now: number = Date.now()) {
    this.feed = feed;
    this.windowSeconds = windowSeconds;
    for (const reason of DROP_REASONS) this.drops.set(reason, []);
    this.previous = { at: now, totals: this.totals() };
  }

  /** Reads the metrics' totals now. */
  totals(): PanelTotals {
    const { metrics } = this.feed;
    const dropped = new Map<string, number>(DROP_REASONS.map((r) => [r, 0]));
    for (const [reason, n] of metrics.byLabel(GOSSIP_METRICS.dropped, 'reason'))
      dropped.set(reason || 'unknown', (dropped.get(reason || 'unknown') ?? 0) + n);
    return {
      seen: metrics.total(GOSSIP_METRICS.received),
      accepted: metrics.total(GOSSIP_METRICS.accepted),
      duplicate: metrics.total(GOSSIP_METRICS.duplicate),
      dropped,
      peerErrors: metrics.total(GOSSIP_METRICS.peerErrors),
      pool: metrics.total(GOSSIP_METRICS.pool),
      peers: this.feed.peers(),
    };
  }

  /**
   * Adds one sample at `now` (ms): the rates since the previous one, and drops samples older
   * than the window. Returns the reasons seen for the first time, so the charts add a line.
   */
  sample(now: number = Date.now()): string[] {
    const totals = this.totals();
    const before = this.previous.totals;
    // A late timer (a background tab) stretches the interval: the rate divides by it.
    const seconds = Math.max((now - this.previous.at) / 1000, 1e-3);
    const rate = (a: number, b: number) => Math.max(0, a - b) / seconds;
    this.time.push(now / 1000);
    this.seen.push(rate(totals.seen, before.seen));
    this.accepted.push(rate(totals.accepted, before.accepted));
    this.duplicate.push(rate(totals.duplicate, before.duplicate));
    const added: string[] = [];
    for (const [reason, n] of totals.dropped) {
      let column = this.drops.get(reason);
      if (!column) {
        column = new Array<number>(this.time.length - 1).fill(0);
        this.drops.set(reason, column);
        added.push(reason);
      }
      column.push(rate(n, before.dropped.get(reason) ?? 0));
    }
    this.peers.push(totals.peers);
    this.previous = { at: now, totals };
    let old = 0;
    while (old < this.time.length && this.time[old]! <= now / 1000 - this.windowSeconds) old++;
    if (old > 0)
      for (const column of [this.time, this.seen, this.accepted, this.duplicate, this.peers])
        column.splice(0, old);
    if (old > 0) for (const column of this.drops.values()) column.splice(0, old);
    return added;
  }

  /** The totals of the latest sample. */
  get latest(): PanelTotals {
    return this.previous.totals;
  }

  /** The PoW timings inside the window, as uPlot columns (x in seconds). */
  powColumns(now: number = Date.now()): [number[], number[]] {
    const from = now - this.windowSeconds * 1000;
    const times = this.feed.powTimes?.() ?? this.feed.metrics.powTimes();
    const x: number[] = [];
    const y: number[] = [];
    for (const { at, ms } of times)
      if (at > from) {
        x.push(at / 1000);
        y.push(ms);
      }
    return [x, y];
  }

  /** The last rate of a column (0 before the first sample). */
  static now(column: readonly number[]): number {
    return column[column.length - 1] ?? 0;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** One chart: its figure, the element uPlot draws in (which carries the summary) and the plot. */
interface Chart {
  readonly figure: HTMLElement;
  readonly plot: HTMLElement;
  readonly u: uPlot;
}

/**
 * Shows the live panel in `container` and starts sampling `feed` once a second.
 *
 * @example
 * ```ts
 * const { createLivePanel } = await import('./panel.js');
 * const panel = createLivePanel(document.querySelector('#live')!, {
 *   metrics,
 *   peers: () => node.stats().peers.filter((p) => p.ready).length,
 * });
 * // later: panel.stop();
 * ```
 *
 * @throws RangeError when an option is out of range
 */
export function createLivePanel(
  container: HTMLElement,
  feed: PanelFeed,
  options: LivePanelOptions = {},
): LivePanel {
  const windowSeconds = options.windowSeconds ?? 180;
  const intervalMs = options.intervalMs ?? 1000;
  const height = options.chartHeight ?? 120;
  if (!(windowSeconds >= 30 && windowSeconds <= 600))
    throw new RangeError(`windowSeconds: 30 to 600, not ${windowSeconds}`);
  if (!(intervalMs >= 100)) throw new RangeError(`intervalMs: at least 100, not ${intervalMs}`);
  if (!(height >= 40)) throw new RangeError(`chartHeight: at least 40, not ${height}`);

  const data = new PanelWindow(feed, windowSeconds);
  const minutes = `${decimal.format(windowSeconds / 60)} min`;
  const root = element('section', { class: 'hush-live-panel', 'aria-label': 'Live panel' });
  container.append(root);

  // The page's own text colour for axes and labels, so the charts follow its theme.
  const ink = getComputedStyle(container).color || '#222';
  const grid = 'rgba(128, 128, 128, 0.25)';
  let latest = Date.now();
  const xRange: uPlot.Range.Function = () => [latest / 1000 - windowSeconds, latest / 1000];
  // Ticks counted back from now ("−2 min", "−1 min", "now"): how long ago says more at a
  // glance than a clock time, and one line of labels keeps the charts small.
  const step = TICK_STEPS.find((s) => s >= windowSeconds / 4) ?? 300;
  const xSplits: uPlot.Axis.Splits = () => {
    const splits: number[] = [];
    for (let ago = windowSeconds - (windowSeconds % step); ago >= 0; ago -= step)
      splits.push(latest / 1000 - ago);
    return splits;
  };
  const xValues: uPlot.Axis.DynamicValues = (_u, splits) =>
    splits.map((at) => {
      const ago = Math.round(latest / 1000 - at);
      if (ago <= 0) return 'now';
      return ago % 60 === 0 ? `−${ago / 60} min` : `−${ago} s`;
    });
  const fromZero: uPlot.Range.Function = (_u, _min, max) => [0, Math.max(1, max * 1.1)];
  const width = () => Math.max(200, Math.floor(root.clientWidth || container.clientWidth || 320));

  const charts: Chart[] = [];
  function chart(caption: string, series: uPlot.Series[], yLabel: string): Chart {
    const figure = element('figure', { class: 'hush-live-chart' });
    const plot = element('div', { role: 'img', 'aria-label': `${caption}: no sample yet` });
    figure.append(plot, element('figcaption', {}, caption));
    root.append(figure);
    const u = new uPlot(
      {
        width: width(),
        height,
        scales: { x: { time: false, range: xRange }, y: { range: fromZero } },
        axes: [
          {
            stroke: ink,
            grid: { stroke: grid, width: 1 },
            ticks: { show: false },
            splits: xSplits,
            values: xValues,
            size: 28,
          },
          { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 44 },
        ],
        series: [{}, ...series],
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [[], ...series.map(() => [])],
      plot,
    );
    // uPlot's legend is a table of the series names; the y unit is said there too.
    u.root.querySelector('.u-legend')?.setAttribute('aria-label', `${caption}, ${yLabel}`);
    const result = { figure, plot, u };
    charts.push(result);
    return result;
  }
  const line = (label: string, i: number): uPlot.Series => ({
    label,
    stroke: colour(i),
    width: 1.5,
    points: { show: false },
    // Past the palette, colours repeat: a dash tells the second round apart.
    ...(i >= PALETTE.length ? { dash: [5, 3] } : {}),
  });

  const envelopes = chart(
    `Envelopes per second, last ${minutes}`,
    [line('seen', 0), line('accepted', 2), line('duplicate', 1)],
    'envelopes per second',
  );
  const reasons = [...data.drops.keys()];
  const drops = chart(
    `Drops per second by reason, last ${minutes}`,
    reasons.map((reason, i) => line(reason, i)),
    'drops per second',
  );
  const pow = chart(
    `PoW time per message sent, last ${minutes}`,
    [
      {
        label: 'PoW ms',
        stroke: colour(3),
        // Points only: each is one message, and a line between them would invent values.
        paths: () => null,
        points: { show: true, size: 6, fill: colour(3), space: 0 },
      },
    ],
    'milliseconds',
  );
  const peers = chart(`Peers, last ${minutes}`, [line('peers', 0)], 'peers');

  const table = element('table', { class: 'hush-live-numbers' });
  table.append(element('caption', {}, 'Numbers now'));
  const head = element('thead');
  const headRow = element('tr');
  for (const title of ['', 'since the page opened', 'per second now'])
    headRow.append(element('th', { scope: 'col' }, title));
  head.append(headRow);
  const body = element('tbody');
  table.append(head, body);
  root.append(table);

  /** Samples (unless `first`: rates need two readings) and redraws. */
  function update(first = false): void {
    const now = Date.now();
    latest = now;
    if (!first)
      for (const reason of data.sample(now)) {
        drops.u.addSeries(line(reason, reasons.length), reasons.length + 1);
        reasons.push(reason);
      }
    // A hidden tab keeps sampling (so the window stays whole) but draws nothing.
    if (typeof document !== 'undefined' && document.hidden) return;
    const totals = data.latest;
    const at = PanelWindow.now;
    envelopes.u.setData([data.time, data.seen, data.accepted, data.duplicate]);
    drops.u.setData([data.time, ...reasons.map((r) => data.drops.get(r)!)]);
    const [powX, powY] = data.powColumns(now);
    pow.u.setData([powX, powY]);
    peers.u.setData([data.time, data.peers]);

    const dropNow = reasons.reduce((sum, r) => sum + at(data.drops.get(r)!), 0);
    const droppedTotal = [...totals.dropped.values()].reduce((a, b) => a + b, 0);
    const nonZero = [...totals.dropped].filter(([, n]) => n > 0);
    envelopes.plot.setAttribute(
      'aria-label',
      `Envelopes per second now: ${decimal.format(at(data.seen))} seen, ${decimal.format(at(data.accepted))} accepted, ${decimal.format(at(data.duplicate))} duplicate. Since the page opened: ${integer.format(totals.seen)} seen, ${integer.format(totals.accepted)} accepted.`,
    );
    drops.plot.setAttribute(
      'aria-label',
      `Drops per second now: ${decimal.format(dropNow)}. Since the page opened: ${
        nonZero.length === 0
          ? 'none'
          : nonZero.map(([r, n]) => `${integer.format(n)} ${r}`).join(', ')
      }.`,
    );
    pow.plot.setAttribute(
      'aria-label',
      powY.length === 0
        ? `No message sealed in the last ${minutes}.`
        : `PoW per message: last ${integer.format(powY[powY.length - 1]!)} ms, median ${integer.format(median(powY))} ms, slowest ${integer.format(Math.max(...powY))} ms, over ${powY.length} messages in the last ${minutes}.`,
    );
    peers.plot.setAttribute(
      'aria-label',
      data.peers.length === 0
        ? `Peers: ${totals.peers} now.`
        : `Peers: ${totals.peers} now; between ${Math.min(...data.peers)} and ${Math.max(...data.peers)} over the last ${minutes}.`,
    );

    const rows: [string, string, string][] = [
      ['Envelopes seen', integer.format(totals.seen), decimal.format(at(data.seen))],
      ['Accepted', integer.format(totals.accepted), decimal.format(at(data.accepted))],
      ['Duplicates', integer.format(totals.duplicate), decimal.format(at(data.duplicate))],
      ['Dropped', integer.format(droppedTotal), decimal.format(dropNow)],
      // Every reason that occurred, so the table names what the drops chart shows.
      ...nonZero.map(([r, n]): [string, string, string] => [
        `dropped: ${r}`,
        integer.format(n),
        decimal.format(at(data.drops.get(r) ?? [])),
      ]),
      ['Peer errors', integer.format(totals.peerErrors), ''],
      ['Envelopes in the pool', '', integer.format(totals.pool)],
      ['Peers', '', String(totals.peers)],
      ['PoW per message (median, ms)', '', powY.length === 0 ? '—' : integer.format(median(powY))],
    ];
    body.replaceChildren(
      ...rows.map(([name, total, current]) => {
        const row = element('tr');
        row.append(
          element('th', { scope: 'row' }, name),
          element('td', {}, total),
          element('td', {}, current),
        );
        return row;
      }),
    );
  }

  update(true);
  const timer = setInterval(() => update(), intervalMs);
  // Charts follow the panel's width; uPlot does not resize by itself.
  const resize =
    typeof ResizeObserver === 'undefined'
      ? undefined
      : new ResizeObserver(() => {
          for (const { u } of charts) u.setSize({ width: width(), height });
        });
  resize?.observe(root);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      resize?.disconnect();
      for (const { u } of charts) u.destroy();
      root.remove();
    },
  };
}
